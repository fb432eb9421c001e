import { EVICTION_BATCH, EVICTION_LANES, JobName, closeServices, type Services } from "@livehall/api";
import { createSessionFixture, createTestServices, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { afterAll, afterEach, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";
import {
  killLeftovers,
  maintenanceQueue,
  spawnWorker,
  startTestWorker,
  stopAll,
  workerConfig,
  workerServices,
  type WorkerProcess,
} from "./test-support";
import type { RunningWorker } from "./worker";

const api = createTestServices();
const { db, redis, keys } = api.services;
const spawned: WorkerProcess[] = [];
const started: RunningWorker[] = [];
const maintenance = maintenanceQueue(workerConfig());
let services: Services | undefined;

afterEach(async () => {
  await killLeftovers(spawned);
  await stopAll(started);
  // Each test starts with no schedulers and no jobs, so the first slots run again at start-up.
  await maintenance.queue.obliterate({ force: true });
});
afterAll(async () => {
  await maintenance.close();
  if (services) await closeServices(services);
  await api.close();
});

const CONNECTIONS = 4 * EVICTION_BATCH;
// Schedules far apart: each runs once when the worker starts, heartbeats.evict last (registration
// order, one job at a time), and that run has CONNECTIONS stale connections to evict (4 batches).
const WORKER_ENV = {
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "3600",
  WORKER_CONCURRENCY: "1",
};

let userIds: string[] | undefined;

/** A live session with CONNECTIONS active rows whose connections were last seen 5 minutes ago. */
async function sessionWithStaleConnections() {
  const { session } = await createSessionFixture(api.services);
  // The same users in each test's session (inserting them is a good part of the set-up time).
  userIds ??= (await insertUsers(api.services, CONNECTIONS)).map((user) => user.id);
  const joinedAt = new Date(Date.now() - 600_000);
  await db.$executeRaw`
    INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
    SELECT ${session.id}::uuid, u, ${joinedAt}, ${joinedAt} FROM unnest(${userIds}::uuid[]) AS u`;
  const lastSeen = new Map(userIds.map((id, i) => [id, Date.now() - 300_000 - i]));
  const pipeline = redis.pipeline();
  for (let i = 0; i < userIds.length; i += 1_000) {
    pipeline.zadd(
      keys.presence(session.id),
      ...userIds.slice(i, i + 1_000).flatMap((id) => [lastSeen.get(id)!, `${id}:tab-stale-01`]),
    );
  }
  await pipeline.exec();
  // Fresh statistics, as a live database has: without them the planner may pick a plan that makes
  // each 1,000-row close take seconds on a table bulk-loaded a moment ago.
  await db.$executeRawUnsafe(`ANALYZE "SessionParticipant"`);
  // Presence counts as built (as in a running system), so no placeholders are added.
  await redis.set(keys.presenceMarker(), String(Date.now()));
  return { sessionId: session.id, lastSeen };
}

async function sessionState(sessionId: string) {
  const rows = await db.sessionParticipant.findMany({
    where: { sessionId },
    select: { userId: true, leftAt: true, leaveReason: true, lastSeenAt: true },
  });
  const connected = new Set(
    (await redis.zrange(keys.presence(sessionId), 0, -1)).map((value) => value.slice(0, value.indexOf(":"))),
  );
  const active = new Set(rows.filter((row) => row.leftAt === null).map((row) => row.userId));
  return {
    rows,
    active: active.size,
    connections: connected.size,
    activeWithoutConnection: [...active].filter((userId) => !connected.has(userId)).length,
    connectionsWithoutRow: [...connected].filter((userId) => !active.has(userId)).length,
  };
}

const evictStarted = (line: { msg: string; job?: string }) =>
  line.msg === "job started" && line.job === JobName.heartbeatsEvict;

test("SIGTERM during a long eviction: the job finishes, the process exits 0, and Postgres and Redis agree", async () => {
  const { sessionId, lastSeen } = await sessionWithStaleConnections();
  const worker = spawnWorker(WORKER_ENV, spawned);
  await worker.waitForLog(evictStarted, "the eviction to start", 25_000);
  worker.child.kill("SIGTERM");
  expect(await worker.exited).toEqual({ code: 0, signal: null });

  // The signal arrived while the job ran; the process finished the job before stopping.
  const order = (match: (line: (typeof worker.logs)[number]) => boolean) => worker.logs.findIndex(match);
  const started = order(evictStarted);
  const stopping = order((line) => line.msg === "worker stopping: finishing running jobs");
  const done = order((line) => line.msg === "job done" && line.job === JobName.heartbeatsEvict);
  const stopped = order((line) => line.msg === "worker stopped");
  expect(started, worker.output()).toBeGreaterThanOrEqual(0);
  expect([started < stopping, stopping < done, done < stopped], worker.output()).toEqual([true, true, true]);
  expect(worker.logs[done]!.counts).toMatchObject({
    connectionsEvicted: CONNECTIONS,
    participantsTimedOut: CONNECTIONS,
  });

  const state = await sessionState(sessionId);
  expect(state).toMatchObject({ active: 0, connections: 0, activeWithoutConnection: 0, connectionsWithoutRow: 0 });
  expect(state.rows).toHaveLength(CONNECTIONS);
  // Every row closed as timed out, with its connection's last-seen time from Redis.
  expect(
    state.rows.filter((row) => row.leaveReason !== "TIMEOUT" || row.lastSeenAt.getTime() !== lastSeen.get(row.userId)),
  ).toEqual([]);
}, 60_000);

test("kill -9 during a long eviction: running the jobs again (idempotent) ends in the same consistent state", async () => {
  const { sessionId } = await sessionWithStaleConnections();
  const worker = spawnWorker(WORKER_ENV, spawned);
  await worker.waitForLog(evictStarted, "the eviction to start", 25_000);
  // Killed once some batches are closed, mid-job.
  await waitFor(async () => (await db.sessionParticipant.count({ where: { sessionId, leaveReason: "TIMEOUT" } })) > 0, {
    intervalMs: 5,
    what: "a first batch",
  });
  worker.child.kill("SIGKILL");
  expect(await worker.exited).toEqual({ code: null, signal: "SIGKILL" });

  const crashed = await sessionState(sessionId);
  expect(crashed.active).toBeGreaterThan(0);
  expect(crashed.active).toBeLessThan(CONNECTIONS);
  // A crash between a batch's Redis removal and its Postgres close leaves at most one batch per
  // lane of active rows without a connection; participants.dedupe closes those, heartbeats.evict
  // the rest.
  expect(crashed.activeWithoutConnection).toBeLessThanOrEqual(EVICTION_BATCH * EVICTION_LANES);
  expect(crashed.connectionsWithoutRow).toBe(0);

  // Another worker (BullMQ only retries the stalled job after its 30 s lock expires): run both jobs.
  const config = workerConfig(WORKER_ENV);
  services = await workerServices(config);
  await startTestWorker(config, createJobHandlers(services), started);
  const evicted = await maintenance.run(JobName.heartbeatsEvict);
  const reconciled = await maintenance.run(JobName.participantsDedupe);
  expect(evicted).toMatchObject({
    connectionsEvicted: crashed.connections,
    participantsTimedOut: crashed.active - crashed.activeWithoutConnection,
  });
  expect(reconciled).toMatchObject({
    disconnectedRowsClosed: crashed.activeWithoutConnection,
    duplicatesClosed: 0,
    orphanConnectionsDropped: 0,
  });

  const state = await sessionState(sessionId);
  expect(state).toMatchObject({ active: 0, connections: 0, activeWithoutConnection: 0, connectionsWithoutRow: 0 });
  expect(state.rows).toHaveLength(CONNECTIONS);
  expect(state.rows.every((row) => row.leaveReason === "TIMEOUT")).toBe(true);
  // Once more: nothing left to do.
  expect(await maintenance.run(JobName.heartbeatsEvict)).toMatchObject({
    connectionsEvicted: 0,
    participantsTimedOut: 0,
  });
  expect(await maintenance.run(JobName.participantsDedupe)).toMatchObject({
    disconnectedRowsClosed: 0,
    orphanConnectionsDropped: 0,
  });
}, 60_000);
