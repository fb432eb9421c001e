import { ensureDatabase, migrate } from "@livehall/db/migrate";
import { withDatabase } from "@livehall/db";
import { startPrivatePostgres, waitFor, type PrivateServer } from "@livehall/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";

// Its own Postgres, which this test stops and starts; the shared one is never touched.
let postgres: PrivateServer;
let databaseUrl: string;

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  databaseUrl = withDatabase(postgres.url, "livehall");
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await postgres?.destroy();
});

let harness: ReturnType<typeof createTestServices> | undefined;

test("while Postgres is down procedures answer SERVICE_UNAVAILABLE; afterwards they work again without a restart", async () => {
  harness = createTestServices({ DATABASE_URL: databaseUrl });
  const { services, context } = harness;
  await waitFor(() => services.redis.status === "ready", { what: "Redis" });
  const { session } = await createSessionFixture(services);
  const [student] = await insertUsers(services, 1);
  const user = asSessionUser(student!);
  const join = { sessionId: session.id, connectionId: "pg-outage-tab" };
  await createCaller(context(user)).session.join(join);

  await postgres.stop();
  for (const [path, type, input] of [
    ["session.list", "query", { tab: "live" }],
    ["session.join", "mutation", join],
    ["course.list", "query", undefined],
  ] as const) {
    const answer = await callOverHttp({ path, type, input, context: () => context(user) });
    expect(answer.status, path).toBe(503);
    expect(answer.error?.data).toMatchObject({ reason: "SERVICE_UNAVAILABLE" });
  }
  // Heartbeats touch Redis only: the room stays alive through a database outage.
  expect((await createCaller(context(user)).session.heartbeat(join)).status).toBe("ok");

  await postgres.start();
  const list = await waitFor(
    async () =>
      (
        await callOverHttp({
          path: "session.list",
          type: "query",
          input: { tab: "live" },
          context: () => context(user),
        })
      ).status === 200,
    { timeoutMs: 20_000, what: "procedures to work again" },
  );
  expect(list).toBe(true);
  expect((await createCaller(context(user)).session.participantCount({ sessionId: session.id })).count).toBe(1);
  await createCaller(context(user)).session.leave(join);
  expect((await createCaller(context(user)).session.participantCount({ sessionId: session.id })).count).toBe(0);
});
