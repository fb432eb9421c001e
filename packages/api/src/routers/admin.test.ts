import { afterAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser } from "../testing/fixtures";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { createTestServices, insertUsers } from "../testing/services";
import { hashRefreshToken } from "../auth/tokens";

const { services, context, close } = createTestServices();
afterAll(close);

describe("admin", () => {
  test("students and instructors get FORBIDDEN", async () => {
    const [student] = await insertUsers(services, 1);
    const [instructor] = await insertUsers(services, 1, { role: "INSTRUCTOR" });
    for (const user of [student!, instructor!]) {
      const caller = createCaller(context(asSessionUser(user)));
      await expect(caller.admin.overview()).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.admin.runJob({ name: "tokens.expire" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
  });

  test("overview counts tokens by state", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const now = Date.now();
    const token = (i: number, data: Record<string, unknown>) => ({
      userId: admin!.id,
      familyId: crypto.randomUUID(),
      tokenHash: hashRefreshToken(`overview-${i}`),
      expiresAt: new Date(now + 3_600_000),
      ...data,
    });
    const reusedFamily = crypto.randomUUID();
    await services.db.refreshToken.createMany({
      data: [
        token(1, {}),
        token(2, {}),
        token(3, { expiresAt: new Date(now - 1_000) }),
        token(4, { familyId: reusedFamily, revokedAt: new Date(now - 60_000), revokedReason: "REFRESH_TOKEN_REUSED" }),
        token(5, { familyId: reusedFamily, revokedAt: new Date(now - 60_000), revokedReason: "REFRESH_TOKEN_REUSED" }),
        token(6, { revokedAt: new Date(now - 2 * 86_400_000), revokedReason: "REFRESH_TOKEN_REUSED" }),
      ],
    });
    const overview = await createCaller(context(asSessionUser(admin!))).admin.overview();
    expect(overview.tokens).toEqual({ active: 2, expiredAwaitingCleanup: 1, familiesRevokedForReuse24h: 1 });
    expect(overview.jobs.map((job) => job.name)).toEqual([
      "tokens.expire",
      "participants.dedupe",
      "heartbeats.evict",
      "sessions.endOverrun",
      "media.reconcile",
      "sessionMail.sync",
    ]);
    expect(overview.workers).toBe(0);
  });

  test("runJob without a running worker answers NO_WORKER at once", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    await expect(
      createCaller(context(asSessionUser(admin!))).admin.runJob({ name: "heartbeats.evict" }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      cause: { reason: "NO_WORKER" },
    });
  });

  test("malformed input never causes a 500", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    await assertRejectsMalformedInput({
      path: "admin.runJob",
      type: "mutation",
      valid: { name: "tokens.expire" },
      context: () => context(asSessionUser(admin!)),
    });
  });
});
