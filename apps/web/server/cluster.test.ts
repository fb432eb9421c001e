import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MAINTENANCE_QUEUE, redisKeys, type ParticipantEvent } from "@livehall/api";
import { createSessionFixture } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signedUpClient, startTestServer, type TestServer } from "./test-server";

// Two web instances (in-process) and two worker processes on one Postgres and one Redis.
const timings = {
  PRESENCE_TIMEOUT_SECONDS: "1.5",
  HEARTBEATS_EVICT_EVERY_SECONDS: "0.3",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
};
let webA: TestServer;
let webB: TestServer;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  [webA, webB] = await Promise.all([startTestServer({ env: timings }), startTestServer({ env: timings })]);
  const entry = fileURLToPath(new URL("../../worker/src/main.ts", import.meta.url));
  for (let i = 0; i < 2; i++) {
    const worker = spawn(process.execPath, ["--import", "tsx", entry], {
      env: {
        ...process.env,
        ...timings,
        NODE_ENV: "production",
        AUTH_SECRET: "c".repeat(32),
        WORKER_METRICS_PORT: "0",
        LOG_LEVEL: "warn",
      },
      stdio: "ignore",
    });
    workers.push(worker);
  }
});
afterAll(async () => {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve) =>
          worker.exitCode !== null ? resolve(null) : (worker.once("exit", resolve), worker.kill("SIGTERM")),
        ),
    ),
  );
  await Promise.all([webA?.close(), webB?.close()]);
});

test("a join through A shows live on B; a silent connection is evicted exactly once; each slot runs once", async () => {
  const { session } = await createSessionFixture(webA.services);
  const watcher = await signedUpClient(webB, "watcher@example.test");
  // Watching a room is for the course's students (docs/decisions/020): the watcher enrolls (an open course).
  await watcher.course.enroll.mutate({ courseId: session.courseId });
  const leaver = await signedUpClient(webA, "leaver@example.test");
  const events: ParticipantEvent[] = [];
  const subscription = watcher.session.onParticipants.subscribe(
    { sessionId: session.id },
    { onData: (event) => void events.push(event as ParticipantEvent) },
  );
  await waitFor(() => events[0]?.type === "snapshot", { what: "the snapshot on B" });

  await leaver.session.join.mutate({ sessionId: session.id, connectionId: "silent-tab-1" });
  await waitFor(() => events.some((event) => event.type === "joined"), { what: "the join to reach B" });

  // The leaver's tab goes silent: after the timeout one of the two workers evicts it, once.
  const left = await waitFor(() => events.find((event) => event.type === "left"), {
    timeoutMs: 10_000,
    what: "the eviction event",
  });
  expect(left).toMatchObject({ reason: "TIMEOUT", participantCount: 0 });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(events.filter((event) => event.type === "left")).toHaveLength(1);
  expect(
    await webA.services.db.sessionParticipant.count({ where: { sessionId: session.id, leaveReason: "TIMEOUT" } }),
  ).toBe(1);
  subscription.unsubscribe();

  // Each heartbeats.evict slot ran once across both workers: unique slot ids, about one per interval.
  const connection = new Redis(webA.services.config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(MAINTENANCE_QUEUE, {
    connection,
    prefix: redisKeys(webA.services.config.redisKeyPrefix).bullPrefix(),
  });
  try {
    const runs = (await queue.getJobs(["completed"], 0, 1_000)).filter((job) => job.name === "heartbeats.evict");
    expect(new Set(runs.map((job) => job.id)).size).toBe(runs.length);
    const first = Math.min(...runs.map((job) => job.processedOn ?? Infinity));
    const last = Math.max(...runs.map((job) => job.processedOn ?? 0));
    expect(runs.length).toBeLessThanOrEqual(Math.ceil((last - first) / 300) + 2);
    expect(await queue.getWorkersCount()).toBe(2);
  } finally {
    await queue.close();
    connection.disconnect();
  }
});
