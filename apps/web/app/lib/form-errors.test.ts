import { TRPCError } from "@trpc/server";
import { describe, expect, test } from "vitest";
import { formErrorsFrom, waitText } from "./form-errors.server";

const withReason = (code: TRPCError["code"], reason: string, retryAfterMs?: number) =>
  new TRPCError({ code, message: reason, cause: Object.assign(new Error(reason), { reason, retryAfterMs }) });

describe("formErrorsFrom", () => {
  test("input validation issues become one message per field (the first one)", () => {
    const cause = Object.assign(new Error("invalid"), {
      issues: [
        { path: ["email"], message: "Enter a valid email address." },
        { path: ["email"], message: "Too long." },
        { path: ["password"], message: "Password must be at least 8 characters." },
      ],
    });
    expect(formErrorsFrom(new TRPCError({ code: "BAD_REQUEST", cause }))).toEqual({
      errors: {
        form: undefined,
        fields: { email: "Enter a valid email address.", password: "Password must be at least 8 characters." },
      },
      status: 400,
    });
  });

  test("the API's reasons become sentences", () => {
    expect(formErrorsFrom(withReason("UNAUTHORIZED", "INVALID_CREDENTIALS")).errors.form).toMatch(
      /don't match an account/,
    );
    expect(formErrorsFrom(withReason("CONFLICT", "EMAIL_TAKEN")).errors.fields?.email).toMatch(/already exists/);
    // The API's own sentence (sign-in or sign-up), then the wait.
    const limited = new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: "Too many failed sign-ins.",
      cause: Object.assign(new Error("limited"), { reason: "RATE_LIMITED", retryAfterMs: 90_000 }),
    });
    expect(formErrorsFrom(limited).errors.form).toBe("Too many failed sign-ins. Try again in 2 minutes.");
    expect(formErrorsFrom(withReason("SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE")).status).toBe(503);
  });

  test("anything else is not the form's business: rethrown", () => {
    const bug = new Error("bug");
    expect(() => formErrorsFrom(bug)).toThrow(bug);
    expect(() => formErrorsFrom(withReason("INTERNAL_SERVER_ERROR", "INTERNAL"))).toThrow(TRPCError);
  });

  test("retry hints read naturally", () => {
    expect(waitText(1)).toBe("1 second");
    expect(waitText(42_000)).toBe("42 seconds");
    expect(waitText(60_001)).toBe("2 minutes");
  });
});
