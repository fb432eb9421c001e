/**
 * Helpers for the worker's integration tests (never imported by main.ts): workers in this process
 * and in child processes on the test file's database and Redis prefix, recording of job runs, and
 * one-off jobs enqueued and awaited through BullMQ.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  JOB_NAMES,
  MAINTENANCE_QUEUE,
  createLogger,
  createServices,
  redisKeys,
  type JobCounts,
  type JobName,
  type Services,
} from "@livehall/api";
import { loadWorkerConfig, type WorkerConfig } from "@livehall/api/config";
import { waitFor } from "@livehall/testing";
import { Queue, QueueEvents, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { JobHandlers } from "./handlers";
import { startWorker, type RunningWorker } from "./worker";

/** Worker config for this test file (harness env) with short timings; every value may be a fraction. */
export function workerConfig(overrides: Record<string, string> = {}): WorkerConfig {
  return loadWorkerConfig({ ...process.env, ...overrides });
}

/**
 * The services a worker's handlers use, once their Redis client is connected (it fails fast rather
 * than queueing, so a job started before the connection is ready would fail its first run).
 */
export async function workerServices(config: WorkerConfig): Promise<Services> {
  const services = createServices(config, { logger: createLogger(config, "worker-test") });
  if (services.redis.status !== "ready") await new Promise((resolve) => services.redis.once("ready", resolve));
  return services;
}

export interface JobRunRecord {
  name: JobName;
  counts: JobCounts;
  startedAt: number;
  finishedAt: number;
}

/**
 * Wraps handlers so every successful run (its name, counts and time) is recorded in `runs` and every
 * failed one in `failures`; the real handlers still run.
 */
export function recordRuns(handlers: JobHandlers): {
  handlers: JobHandlers;
  runs: JobRunRecord[];
  failures: { name: JobName; error: string; at: number }[];
} {
  const runs: JobRunRecord[] = [];
  const failures: { name: JobName; error: string; at: number }[] = [];
  const wrapped = {} as JobHandlers;
  for (const name of JOB_NAMES) {
    wrapped[name] = async () => {
      const startedAt = Date.now();
      try {
        const counts = await handlers[name]();
        runs.push({ name, counts, startedAt, finishedAt: Date.now() });
        return counts;
      } catch (error) {
        failures.push({ name, error: error instanceof Error ? error.message : String(error), at: Date.now() });
        throw error;
      }
    };
  }
  return { handlers: wrapped, runs, failures };
}

/** Sum of one count over the recorded runs of one job. */
export function total(runs: JobRunRecord[], name: JobName, count: string): number {
  return runs.filter((run) => run.name === name).reduce((sum, run) => sum + (run.counts[count] ?? 0), 0);
}

/** The real worker in this process; stopped by `stopAll`. */
export async function startTestWorker(
  config: WorkerConfig,
  handlers: JobHandlers,
  started: RunningWorker[],
): Promise<RunningWorker> {
  const worker = await startWorker({ config, logger: createLogger(config, "worker-test"), handlers });
  started.push(worker);
  await worker.schedulersReady();
  return worker;
}

export async function stopAll(started: RunningWorker[]): Promise<void> {
  await Promise.all(started.splice(0).map((worker) => worker.stop()));
}

/** A BullMQ client on the maintenance queue of a config's Redis and prefix, to enqueue and inspect jobs. */
export function maintenanceQueue(config: Pick<WorkerConfig, "redisUrl" | "redisKeyPrefix">) {
  const prefix = redisKeys(config.redisKeyPrefix).bullPrefix();
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const eventsConnection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  let events: QueueEvents | null = null;
  return {
    queue,
    /** Enqueues a one-off run of a job and waits for its result (what the handler returned). */
    async run(name: JobName, timeoutMs = 25_000): Promise<JobCounts> {
      if (!events) {
        events = new QueueEvents(MAINTENANCE_QUEUE, { connection: eventsConnection, prefix });
        await events.waitUntilReady();
      }
      const job = await queue.add(name, { trigger: "test" }, { removeOnComplete: 200, removeOnFail: 500 });
      return (await job.waitUntilFinished(events, timeoutMs)) as JobCounts;
    },
    /** Completed jobs of one scheduler (ids `repeat:<scheduler>:<slot millis>`), oldest slot first. */
    async completedSlots(name: JobName): Promise<{ job: Job; slot: number }[]> {
      const jobs = await queue.getJobs(["completed"], 0, -1);
      return jobs
        .filter((job) => job.id?.startsWith(`repeat:${name}:`))
        .map((job) => ({ job, slot: Number(job.id!.slice(`repeat:${name}:`.length)) }))
        .sort((a, b) => a.slot - b.slot);
    },
    async close() {
      await events?.close();
      await queue.close();
      connection.disconnect();
      eventsConnection.disconnect();
    },
  };
}

export interface LogLine {
  msg: string;
  job?: string;
  jobId?: string;
  counts?: JobCounts;
  at: number;
  [key: string]: unknown;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** JSON log lines so far, each stamped with the time this process read it. */
  logs: LogLine[];
  output(): string;
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/**
 * The worker as its own OS process (src/main.ts through tsx's loader — not the tsx CLI, whose parent
 * process relays signals), on this test file's database and Redis prefix unless overridden.
 */
export function spawnWorker(env: Record<string, string>, spawned: WorkerProcess[]): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    // Metrics on a port of the OS's choosing, so test processes never compete for the default one.
    env: {
      ...process.env,
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      AUTH_SECRET: "worker-test-secret-".padEnd(40, "x"),
      WORKER_METRICS_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let pending = "";
  const logs: LogLine[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        logs.push({ ...(JSON.parse(line) as LogLine), at: Date.now() });
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  // "close", not "exit": the exit can be reported before the last output lines are read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const worker: WorkerProcess = {
    child,
    logs,
    output: () => output,
    waitForLog: (match, what, timeoutMs = 20_000) =>
      waitFor(() => logs.find(match), { timeoutMs, intervalMs: 10, what }).catch((error: Error) => {
        throw new Error(`${error.message}\n--- worker output ---\n${output}`);
      }),
    exited,
  };
  spawned.push(worker);
  return worker;
}

/** Kills (SIGKILL, by pid) the child processes a test left running, e.g. after a failed assertion. */
export async function killLeftovers(spawned: WorkerProcess[]): Promise<void> {
  await Promise.all(
    spawned.splice(0).map(async (worker) => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
      await worker.exited;
    }),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A simulated browser tab loop: every `everyMs` each client heartbeats and re-joins when the server
 * answers "rejoin"; errors (Redis away) are retried on the next beat, as the real client does.
 */
export function heartbeatLoop(
  clients: { heartbeat: () => Promise<{ status: string }>; join: () => Promise<unknown> }[],
  everyMs: number,
) {
  const stats = { beats: 0, ok: 0, rejoins: 0, errors: 0, rejoinedAt: [] as number[] };
  let running = true;
  const done = (async () => {
    while (running) {
      const tick = Date.now();
      await Promise.all(
        clients.map(async (client) => {
          try {
            stats.beats++;
            const answer = await client.heartbeat();
            if (answer.status === "ok") stats.ok++;
            else {
              stats.rejoins++;
              await client.join();
              stats.rejoinedAt.push(Date.now());
            }
          } catch {
            stats.errors++;
          }
        }),
      );
      await sleep(Math.max(0, everyMs - (Date.now() - tick)));
    }
  })();
  return {
    stats,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
