import { JOB_NAMES, JobName, closeServices, createCaller, type Services } from "@livehall/api";
import { asSessionUser, createSessionFixture, createTestServices, insertUsers } from "@livehall/api/testing";
import { startPrivateRedis, waitFor } from "@livehall/testing";
import { afterAll, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";
import {
  heartbeatLoop,
  recordRuns,
  sleep,
  startTestWorker,
  stopAll,
  workerConfig,
  workerServices,
} from "./test-support";
import type { RunningWorker } from "./worker";

// A Redis of this file's own, to restart; Postgres is this file's database on the shared server.
const redis = await startPrivateRedis();
// Tabs beat every 300 ms (the production interval is 30 s): a heartbeat budget to match.
const api = createTestServices({ REDIS_URL: redis.url, ROOM_RATE_HEARTBEAT_PER_SECOND: "20" });
// The restart drops every connection; the failing commands report it, so these events are expected.
api.services.redis.on("error", () => undefined);
// 3 s (10 beats): after a restart the API's Redis client reconnects with backoff and 50 tabs re-join
// in one process; on a busy 2-core machine the last re-join was seen 1.6 s after the rebuild.
const TIMEOUT_MS = 3_000;
const BEAT_MS = 300;
const config = workerConfig({
  REDIS_URL: redis.url,
  PRESENCE_TIMEOUT_SECONDS: String(TIMEOUT_MS / 1000),
  HEARTBEATS_EVICT_EVERY_SECONDS: "0.3",
  // Registered again after the restart, their first slots run at once: that is what is checked here.
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "3600",
});
const started: RunningWorker[] = [];
let services: Services | undefined;
afterAll(async () => {
  await stopAll(started);
  if (services) await closeServices(services);
  await api.close();
  await redis.destroy();
});

test("a Redis restart under 50 live connections closes nobody; presence and schedules come back; silent clients are then timed out", async () => {
  const marker = api.services.keys.presenceMarker();
  const { session } = await createSessionFixture(api.services);
  const users = await insertUsers(api.services, 50);
  const clients = users.map((user, i) => {
    const call = createCaller(api.context(asSessionUser(user)));
    const input = { sessionId: session.id, connectionId: `tab-${String(i).padStart(2, "0")}-restart` };
    const client = {
      member: `${user.id}:${input.connectionId}`,
      rejoins: 0,
      heartbeat: () => call.session.heartbeat(input),
      join: async () => {
        await call.session.join(input);
        client.rejoins++;
      },
    };
    return client;
  });
  const activeRows = () => api.services.db.sessionParticipant.count({ where: { sessionId: session.id, leftAt: null } });
  const timedOutRows = () =>
    api.services.db.sessionParticipant.count({ where: { sessionId: session.id, leaveReason: "TIMEOUT" } });

  // A running system: presence built, 50 tabs joined and heartbeating. (The worker starts once they
  // beat, so joins slowed down by a busy machine cannot race the 2 s timeout.)
  await api.services.redis.set(marker, String(Date.now()));
  await Promise.all(clients.map((client) => client.join()));
  for (const client of clients) client.rejoins = 0;
  expect(await activeRows()).toBe(50);
  services = await workerServices(config);
  services.redis.on("error", () => undefined);
  const { handlers, runs, failures } = recordRuns(createJobHandlers(services));
  let worker: RunningWorker | undefined;
  let downAt = 0;
  let upAt = 0;
  const beats = heartbeatLoop(clients, BEAT_MS);
  try {
    await waitFor(() => beats.stats.ok >= 50, { what: "a first round of heartbeats" });
    worker = await startTestWorker(config, handlers, started);
    await waitFor(
      () => beats.stats.ok >= 150 && runs.filter((run) => run.name === JobName.heartbeatsEvict).length >= 2,
      { what: "heartbeats and sweeps" },
    );

    // Restart: the server comes back empty (no presence, no marker, no queues, no schedulers).
    await redis.stop();
    // From here on every job run is against the new, empty server (jobs can start on it before
    // start() has seen it answer, so that moment would be too late).
    downAt = Date.now();
    await redis.start();
    upAt = Date.now();

    // Presence is rebuilt with fresh times (50 placeholder connections), every tab is told to
    // re-join, and the placeholders are evicted a timeout later while the rows stay.
    await waitFor(
      () =>
        runs
          .filter((run) => run.name === JobName.heartbeatsEvict && run.startedAt > downAt)
          .reduce((n, run) => n + (run.counts.connectionsEvicted ?? 0), 0) >= 50,
      {
        timeoutMs: 15_000,
        what: "the placeholder connections to be evicted",
      },
    );
    // Then one more full timeout with the clients going: their re-joined tabs keep the rows.
    await sleep(TIMEOUT_MS);
  } finally {
    await beats.stop();
  }
  const clientsStoppedAt = Date.now();

  // What happened after the restart, in ms since the old server went down (shown if this fails).
  const since = (at: number) => at - downAt;
  const timeline = {
    upAfter: since(upAt),
    rejoins: [since(Math.min(...beats.stats.rejoinedAt)), since(Math.max(...beats.stats.rejoinedAt))],
    heartbeatErrors: beats.stats.errors,
    runs: runs
      .filter((run) => run.startedAt > downAt - 1_000)
      .map((run) => [run.name, since(run.startedAt), since(run.finishedAt), run.counts]),
    failures: failures.map((failure) => [failure.name, since(failure.at), failure.error]),
  };
  // Nobody was closed, everyone re-joined once with their own tab, and only those tabs remain.
  expect(await timedOutRows(), JSON.stringify(timeline)).toBe(0);
  expect(await activeRows()).toBe(50);
  expect(clients.map((client) => client.rejoins)).toEqual(clients.map(() => 1));
  expect((await api.services.redis.zrange(api.services.keys.presence(session.id), 0, -1)).sort()).toEqual(
    clients.map((client) => client.member).sort(),
  );

  const afterRestart = runs.filter((run) => run.startedAt > downAt);
  const sum = (name: JobName, count: string) =>
    afterRestart.filter((run) => run.name === name).reduce((n, run) => n + (run.counts[count] ?? 0), 0);
  // Rebuilt from the 50 active rows (by whichever job ran first; two at once would both count).
  expect(
    sum(JobName.heartbeatsEvict, "presenceRestored") + sum(JobName.participantsDedupe, "presenceRestored"),
  ).toBeGreaterThanOrEqual(50);
  expect(sum(JobName.heartbeatsEvict, "connectionsEvicted")).toBe(50);
  expect(sum(JobName.heartbeatsEvict, "participantsTimedOut")).toBe(0);
  expect(sum(JobName.participantsDedupe, "disconnectedRowsClosed")).toBe(0);
  expect(Number(await api.services.redis.get(marker))).toBeGreaterThan(downAt);
  // The schedulers are registered again, and every job ran after the restart.
  expect(await worker!.queue.getJobSchedulersCount()).toBe(JOB_NAMES.length);
  for (const name of JOB_NAMES)
    expect(
      afterRestart.some((run) => run.name === name),
      name,
    ).toBe(true);
  // Runs that started while the handlers' fail-fast Redis client was still reconnecting failed,
  // and were retried (JOB_RETRY) rather than waiting for their next slot.
  for (const failure of failures)
    expect(failure.error).toMatch(/Stream isn't writeable|Connection is closed|ECONNREFUSED|Missing lock/);

  // Now the clients go silent: after the timeout the scheduled eviction closes every row.
  await waitFor(async () => (await timedOutRows()) === 50, {
    timeoutMs: 10_000,
    what: "the silent clients to be timed out",
  });
  const closed = await api.services.db.sessionParticipant.findMany({ where: { sessionId: session.id } });
  expect(closed).toHaveLength(50);
  for (const row of closed) {
    expect(row.leaveReason).toBe("TIMEOUT");
    expect(row.lastSeenAt.getTime()).toBeGreaterThan(downAt);
    expect(row.lastSeenAt.getTime()).toBeLessThanOrEqual(clientsStoppedAt);
    expect(row.leftAt!.getTime() - row.lastSeenAt.getTime()).toBeGreaterThanOrEqual(TIMEOUT_MS);
  }
  expect(await api.services.redis.exists(api.services.keys.presence(session.id))).toBe(0);
}, 60_000);
