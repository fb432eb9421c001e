import { closedPortUrl } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { createContext } from "./context";
import { type appRouter } from "./root";
import { callOverHttp } from "./testing/http";
import { createTestServices } from "./testing/services";
import { adminProcedure, authedProcedure, createTRPCRouter, instructorProcedure, publicProcedure } from "./trpc";

const { services, close } = createTestServices();
afterAll(close);

// A router of probes for the procedure builders themselves; the real routers use the same builders.
const probeRouter = createTRPCRouter({
  echo: publicProcedure.input(z.object({ n: z.number().int().min(1) })).query(({ input }) => input.n),
  authed: authedProcedure.query(({ ctx }) => ctx.user.id),
  instructor: instructorProcedure.query(() => "ok"),
  admin: adminProcedure.query(() => "ok"),
  crash: publicProcedure.query(() => {
    throw new Error("secret internals at /srv/app.ts:42");
  }),
});

type Role = "STUDENT" | "INSTRUCTOR" | "ADMIN";

const call = (router: typeof probeRouter | typeof appRouter, path: string, input?: unknown, role?: Role) =>
  callOverHttp({
    router,
    path,
    type: "query",
    input,
    context: () => createContext(services, { user: role ? { id: "u1", role, familyId: "f1" } : null }),
  }).then((answer) => ({ status: answer.status, body: answer }));

describe("error answers", () => {
  test("malformed input is a 400 with reason INVALID_INPUT and the flattened zod issues", async () => {
    const { status, body } = await call(probeRouter, "echo", { n: "three" });
    expect(status).toBe(400);
    expect(body.error?.data.reason).toBe("INVALID_INPUT");
    expect(body.error?.data.zodError).toMatchObject({ fieldErrors: { n: [expect.any(String)] } });
    expect(JSON.stringify(body.raw)).not.toContain("stack");
  });

  test("an unexpected error is a 500 with a generic message and no internals", async () => {
    const { status, body } = await call(probeRouter, "crash");
    expect(status).toBe(500);
    expect(body.error?.data.reason).toBe("INTERNAL");
    expect(JSON.stringify(body.raw)).not.toContain("secret internals");
  });

  test("roles: anonymous → 401 UNAUTHENTICATED, student → 403 on instructor and admin procedures", async () => {
    expect((await call(probeRouter, "authed")).body.error?.data).toMatchObject({
      reason: "UNAUTHENTICATED",
      httpStatus: 401,
    });
    expect((await call(probeRouter, "authed", undefined, "STUDENT")).status).toBe(200);
    expect((await call(probeRouter, "instructor", undefined, "STUDENT")).body.error?.data).toMatchObject({
      reason: "FORBIDDEN",
      httpStatus: 403,
    });
    expect((await call(probeRouter, "instructor", undefined, "INSTRUCTOR")).status).toBe(200);
    expect((await call(probeRouter, "admin", undefined, "INSTRUCTOR")).status).toBe(403);
    expect((await call(probeRouter, "admin", undefined, "ADMIN")).status).toBe(200);
  });

  test("a database outage is a 503 SERVICE_UNAVAILABLE with a retry hint, not a 500", async () => {
    const down = createTestServices({ DATABASE_URL: await closedPortUrl("postgresql") });
    try {
      const body = await callOverHttp({ path: "course.list", type: "query", context: () => down.context() });
      expect(body.status).toBe(503);
      expect(body.error?.data.reason).toBe("SERVICE_UNAVAILABLE");
      expect(body.error?.data.retryAfterMs).toBeGreaterThan(0);
    } finally {
      await down.close();
    }
  });
});
