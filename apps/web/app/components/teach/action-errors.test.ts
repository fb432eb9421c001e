import { TRPCError } from "@trpc/server";
import { describe, expect, test } from "vitest";
import { actionErrorFrom } from "./action-errors.server";

const rateLimited = (retryAfterMs: number) =>
  new TRPCError({
    code: "TOO_MANY_REQUESTS",
    message: "Nothing was added: that would send 3 invitation mails, and you can send 1 more for now.",
    cause: Object.assign(new Error("limited"), { reason: "RATE_LIMITED", retryAfterMs }),
  });

describe("actionErrorFrom", () => {
  test("a budget's answer says when to try again where the form asks for it, and is kept as sent elsewhere", () => {
    expect(actionErrorFrom(rateLimited(90_000), { sayWhenToRetry: true })).toMatchObject({
      status: 429,
      reason: "RATE_LIMITED",
      errors: {
        form: "Nothing was added: that would send 3 invitation mails, and you can send 1 more for now. Try again in 2 minutes.",
      },
    });
    expect(actionErrorFrom(rateLimited(90_000)).errors.form).toBe(
      "Nothing was added: that would send 3 invitation mails, and you can send 1 more for now.",
    );
  });
});
