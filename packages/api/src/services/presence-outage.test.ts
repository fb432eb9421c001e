import { startPrivateRedis, waitFor, type PrivateServer } from "@livehall/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";

// Its own Redis, which this test stops and starts; the shared one is never touched.
let redis: PrivateServer;
let harness: ReturnType<typeof createTestServices>;

beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await harness?.close();
  await redis?.destroy();
});

test("while Redis is down presence answers SERVICE_UNAVAILABLE with a retry hint, at once; it recovers by itself", async () => {
  harness = createTestServices({ REDIS_URL: redis.url });
  const { services, context } = harness;
  await waitFor(() => services.redis.status === "ready", { what: "Redis" });
  const { session } = await createSessionFixture(services);
  const [student] = await insertUsers(services, 1);
  const user = asSessionUser(student!);
  const input = { sessionId: session.id, connectionId: "outage-tab-1" };
  await createCaller(context(user)).session.join(input);

  await redis.stop();
  for (const path of ["session.heartbeat", "session.join", "session.leave"]) {
    const startedAt = Date.now();
    const answer = await callOverHttp({ path, type: "mutation", input, context: () => context(user) });
    expect(answer.status).toBe(503);
    expect(answer.error?.data).toMatchObject({ reason: "SERVICE_UNAVAILABLE" });
    expect(answer.error?.data.retryAfterMs).toBeGreaterThan(0);
    // Fail fast: no offline queue, no hanging request.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  }
  // Nothing was lost in Postgres while Redis was away.
  expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id, leftAt: null } })).toBe(1);

  await redis.start();
  await waitFor(() => services.redis.status === "ready", { timeoutMs: 15_000, what: "Redis to come back" });
  // Redis came back empty: the heartbeat says rejoin, and the re-join restores the connection.
  expect((await createCaller(context(user)).session.heartbeat(input)).status).toBe("rejoin");
  await createCaller(context(user)).session.join(input);
  expect((await createCaller(context(user)).session.heartbeat(input)).status).toBe("ok");
  expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(1);
});
