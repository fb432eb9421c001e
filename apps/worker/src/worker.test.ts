import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { JOB_NAMES, JobName, createLogger } from "@livehall/api";
import { loadWorkerConfig } from "@livehall/api/config";
import { startPrivateRedis, waitFor, type PrivateServer } from "@livehall/testing";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { JobHandlers } from "./handlers";
import { startWorker, type RunningWorker } from "./worker";

const fastSchedules = {
  TOKENS_EXPIRE_EVERY_SECONDS: "0.3",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "0.5",
  HEARTBEATS_EVICT_EVERY_SECONDS: "0.2",
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "0.4",
  MEDIA_RECONCILE_EVERY_SECONDS: "0.45",
  SESSION_MAIL_SYNC_EVERY_SECONDS: "0.35",
};

function config(overrides: Record<string, string> = {}) {
  return loadWorkerConfig({ ...process.env, ...fastSchedules, ...overrides });
}

/** Handlers that record every job id they run, per job name. */
function recordingHandlers(runs: Map<string, string[]>, workerTag: string): JobHandlers {
  const record = (name: string) => async () => {
    runs.set(name, [...(runs.get(name) ?? []), workerTag]);
    return { calls: 1 };
  };
  return {
    [JobName.tokensExpire]: record(JobName.tokensExpire),
    [JobName.participantsDedupe]: record(JobName.participantsDedupe),
    [JobName.heartbeatsEvict]: record(JobName.heartbeatsEvict),
    [JobName.sessionsEndOverrun]: record(JobName.sessionsEndOverrun),
    [JobName.mediaReconcile]: record(JobName.mediaReconcile),
    [JobName.sessionMailSync]: record(JobName.sessionMailSync),
  };
}

const started: RunningWorker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((worker) => worker.stop()));
});

describe("worker", () => {
  test("registers the six job schedulers with the configured intervals and runs them", async () => {
    const cfg = config();
    const runs = new Map<string, string[]>();
    const worker = await startWorker({
      config: cfg,
      logger: createLogger(cfg, "test"),
      handlers: recordingHandlers(runs, "w1"),
    });
    started.push(worker);
    await worker.schedulersReady();

    const schedulers = await worker.queue.getJobSchedulers();
    expect(Object.fromEntries(schedulers.map((s) => [s.key, s.every]))).toEqual({
      [JobName.tokensExpire]: 300,
      [JobName.participantsDedupe]: 500,
      [JobName.heartbeatsEvict]: 200,
      [JobName.sessionsEndOverrun]: 400,
      [JobName.mediaReconcile]: 450,
      [JobName.sessionMailSync]: 350,
    });
    await waitFor(() => JOB_NAMES.every((name) => (runs.get(name)?.length ?? 0) >= 2), {
      what: "every job to run twice",
    });
  });

  test("two workers share the schedules: each slot runs once, not once per worker", async () => {
    const cfg = config({ TOKENS_EXPIRE_EVERY_SECONDS: "3600", PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600" });
    const logger = createLogger(cfg, "test");
    const runs = new Map<string, string[]>();
    const first = await startWorker({ config: cfg, logger, handlers: recordingHandlers(runs, "w1") });
    const second = await startWorker({ config: cfg, logger, handlers: recordingHandlers(runs, "w2") });
    started.push(first, second);
    await Promise.all([first.schedulersReady(), second.schedulersReady()]);
    expect(await first.queue.getJobSchedulersCount()).toBe(JOB_NAMES.length);

    const windowStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const elapsedSlots = (Date.now() - windowStart) / 200;
    const evictRuns = runs.get(JobName.heartbeatsEvict)?.length ?? 0;
    // One run per 200 ms slot across both workers (plus the slots started just before the window);
    // two runs per slot would give about twice as many.
    expect(evictRuns).toBeGreaterThanOrEqual(Math.floor(elapsedSlots) - 3);
    expect(evictRuns).toBeLessThanOrEqual(Math.ceil(elapsedSlots) + 3);
    const completed = await first.queue.getJobs(["completed"], 0, 1000);
    const slotIds = completed.filter((job) => job.name === JobName.heartbeatsEvict).map((job) => job.id);
    expect(new Set(slotIds).size).toBe(slotIds.length);
  });
});

describe("worker across a Redis restart", () => {
  let redis: PrivateServer;
  afterAll(async () => redis?.destroy());

  test("registers its schedulers again when Redis comes back empty", async () => {
    redis = await startPrivateRedis();
    const cfg = config({ REDIS_URL: redis.url, HEARTBEATS_EVICT_EVERY_SECONDS: "0.2" });
    const runs = new Map<string, string[]>();
    const worker = await startWorker({
      config: cfg,
      logger: createLogger(cfg, "test"),
      handlers: recordingHandlers(runs, "w1"),
    });
    started.push(worker);
    await worker.schedulersReady();
    expect(await worker.queue.getJobSchedulersCount()).toBe(JOB_NAMES.length);

    await redis.stop();
    await redis.start();
    // The restarted Redis kept nothing; the worker must put the schedules back by itself.
    await waitFor(async () => (await worker.queue.getJobSchedulersCount().catch(() => 0)) === JOB_NAMES.length, {
      timeoutMs: 15_000,
      what: "schedulers to be registered again",
    });
    const before = runs.get(JobName.heartbeatsEvict)?.length ?? 0;
    await waitFor(() => (runs.get(JobName.heartbeatsEvict)?.length ?? 0) > before + 1, { what: "jobs to run again" });
  });
});

describe("worker process", () => {
  test("starts, logs its schedulers, and exits 0 on SIGTERM", async () => {
    const entry = fileURLToPath(new URL("./main.ts", import.meta.url));
    // Node with tsx's loader, not the tsx CLI: the CLI is a parent process relaying signals.
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "info", AUTH_SECRET: "x".repeat(32) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    // "close" (stdio drained), not "exit": the last log lines can still be unread at "exit".
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));

    await waitFor(() => output.includes("job schedulers registered"), {
      timeoutMs: 20_000,
      what: "scheduler log line",
    });
    expect(output).toContain(JobName.heartbeatsEvict);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("worker stopped");
  });
});
