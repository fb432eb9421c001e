import { JobName, createServices } from "@livehall/api";
import { loadWorkerConfig } from "@livehall/api/config";
import { afterAll, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";

const services = createServices(loadWorkerConfig());
afterAll(() => Promise.allSettled([services.db.$disconnect(), services.redis.quit()]));

test("tokens.expire deletes expired refresh tokens through the same function as auth.cleanupTokens", async () => {
  const user = await services.db.user.create({ data: { email: "worker@example.test", name: "W", passwordHash: "x" } });
  const past = new Date(Date.now() - 60_000);
  const future = new Date(Date.now() + 3_600_000);
  await services.db.refreshToken.createMany({
    data: [
      { userId: user.id, familyId: crypto.randomUUID(), tokenHash: "a".repeat(64), expiresAt: past },
      { userId: user.id, familyId: crypto.randomUUID(), tokenHash: "b".repeat(64), expiresAt: past },
      { userId: user.id, familyId: crypto.randomUUID(), tokenHash: "c".repeat(64), expiresAt: future },
    ],
  });
  const handlers = createJobHandlers(services);
  expect(await handlers[JobName.tokensExpire]()).toEqual({ expired: 2, revoked: 0 });
  expect(await services.db.refreshToken.count()).toBe(1);
  // A second run (a re-run of a stalled job) finds nothing left to do.
  expect(await handlers[JobName.tokensExpire]()).toEqual({ expired: 0, revoked: 0 });
});
