import {
  JOB_NAMES,
  JobName,
  MAINTENANCE_QUEUE,
  SESSION_MAIL_QUEUE,
  jobMetrics,
  jobSchedule,
  recordJobRun,
  redisKeys,
  type JobRun,
  type Logger,
  type SessionMailJob,
} from "@livehall/api";
import type { CoreConfig } from "@livehall/api/config";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { JobHandlers, SessionMailHandler } from "./handlers";

/** BullMQ needs connections that retry forever rather than failing commands during an outage. */
function bullConnection(url: string, logger: Logger): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  let lastWarnedAt = 0;
  connection.on("error", (error) => {
    // One line per 10 s at most while Redis is away; ioredis keeps reconnecting on its own.
    if (Date.now() - lastWarnedAt < 10_000) return;
    lastWarnedAt = Date.now();
    logger.warn({ err: error.message }, "Redis unavailable; reconnecting");
  });
  return connection;
}

/** Attempts and backoff of every scheduled run (1 s, then 2 s). */
export const JOB_RETRY = { attempts: 3, backoff: { type: "exponential", delay: 1_000 } } as const;

export interface RunningWorker {
  queue: Queue;
  /** Resolves when the schedulers have been (re-)registered after the latest Redis (re)connect. */
  schedulersReady(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartWorkerOptions {
  config: CoreConfig & { concurrency?: number; sessionMailConcurrency?: number };
  logger: Logger;
  handlers: JobHandlers;
  /** The session-mail queue's handler (reminders, cancellation notices); also consumed when given. */
  sessionMail?: SessionMailHandler;
}

/**
 * Starts the BullMQ worker for the maintenance queue and registers one job scheduler per job.
 * Redis keeps nothing on disk, so a Redis restart forgets the schedulers: they are registered again
 * every time the connection becomes ready. `upsertJobScheduler` is idempotent, so several workers
 * doing this at once still get one schedule, and BullMQ starts each slot once.
 */
export async function startWorker({
  config,
  logger,
  handlers,
  sessionMail,
}: StartWorkerOptions): Promise<RunningWorker> {
  const prefix = redisKeys(config.redisKeyPrefix).bullPrefix();
  const connection = bullConnection(config.redisUrl, logger);
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  // Without a listener BullMQ prints every connection error to stderr; bullConnection logs them.
  queue.on("error", () => undefined);
  const history = { redis: connection, keys: redisKeys(config.redisKeyPrefix) };
  const schedule = jobSchedule(config.timings);

  let registration: Promise<void> = Promise.resolve();
  const registerSchedulers = async () => {
    for (const name of JOB_NAMES) {
      await queue.upsertJobScheduler(
        name,
        { every: schedule[name] },
        // Retried with backoff: a run can fail on a transient outage (right after a Redis restart the
        // re-registered slots start at once, before the handlers' fail-fast Redis client is back).
        // Handlers are idempotent, so a retry is safe.
        { name, data: {}, opts: { removeOnComplete: 200, removeOnFail: 500, ...JOB_RETRY } },
      );
    }
    logger.info({ schedulers: schedule }, "job schedulers registered");
  };
  const onReady = () => {
    registration = registerSchedulers().catch((error: unknown) => {
      logger.error({ err: error }, "registering job schedulers failed; retrying on next reconnect");
    });
  };
  connection.on("ready", onReady);
  if (connection.status === "ready") onReady();

  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      const handler = handlers[job.name as JobName];
      if (!handler) throw new Error(`unknown job ${job.name}`);
      const startedAt = performance.now();
      logger.info({ job: job.name, jobId: job.id }, "job started");
      const trigger = (job.data as { trigger?: string } | undefined)?.trigger ?? "schedule";
      const record = (outcome: Pick<JobRun, "ok" | "counts" | "error">) =>
        recordJobRun(history, job.name as JobName, {
          ...outcome,
          trigger,
          finishedAt: new Date().toISOString(),
          durationMs: Math.round(performance.now() - startedAt),
        }).catch((error: unknown) => logger.warn({ err: error }, "could not record the job run"));
      try {
        const counts = await handler();
        jobMetrics.runs.inc({ job: job.name, outcome: "ok" });
        jobMetrics.duration.observe({ job: job.name }, (performance.now() - startedAt) / 1000);
        if (job.name === JobName.participantsDedupe || job.name === JobName.heartbeatsEvict) {
          for (const [kind, count] of Object.entries(counts))
            if (kind !== "sessions" && count > 0) jobMetrics.drift.inc({ kind }, count);
        }
        logger.info(
          { job: job.name, jobId: job.id, trigger, counts, durationMs: Math.round(performance.now() - startedAt) },
          "job done",
        );
        await record({ ok: true, counts, error: null });
        return counts;
      } catch (error) {
        jobMetrics.runs.inc({ job: job.name, outcome: "failed" });
        await record({ ok: false, counts: {}, error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    },
    {
      connection: bullConnection(config.redisUrl, logger),
      prefix,
      concurrency: config.concurrency ?? 1,
      autorun: true,
    },
  );
  worker.on("failed", (job, error) => logger.warn({ job: job?.name, jobId: job?.id, err: error }, "job failed"));
  worker.on("error", (error) => logger.warn({ err: error }, "worker connection error"));
  const mailWorker = sessionMail ? startSessionMailWorker(config, logger, prefix, sessionMail) : null;

  await Promise.all([worker.waitUntilReady(), mailWorker?.waitUntilReady()]);

  return {
    queue,
    schedulersReady: async () => {
      while (connection.status !== "ready") await new Promise((resolve) => setTimeout(resolve, 25));
      await registration;
    },
    stop: async () => {
      connection.off("ready", onReady);
      // Worker.close() waits for running jobs to finish before resolving.
      await Promise.all([worker.close(), mailWorker?.close()]);
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * The session-mail queue's consumer: delayed reminder jobs and cancellation notices, one job per
 * session (docs/decisions/022). Its handler is safe to run twice: the ledger sends each mail once.
 */
function startSessionMailWorker(
  config: StartWorkerOptions["config"],
  logger: Logger,
  prefix: string,
  handler: SessionMailHandler,
): Worker {
  const worker = new Worker(
    SESSION_MAIL_QUEUE,
    async (job) => {
      const data = job.data as SessionMailJob;
      const startedAt = performance.now();
      try {
        const counts = await handler(data);
        jobMetrics.runs.inc({ job: `sessionMail.${data.kind.toLowerCase()}`, outcome: "ok" });
        logger.info(
          { job: job.name, jobId: job.id, counts, durationMs: Math.round(performance.now() - startedAt) },
          "session mail job done",
        );
        return counts;
      } catch (error) {
        jobMetrics.runs.inc({ job: `sessionMail.${data.kind.toLowerCase()}`, outcome: "failed" });
        throw error;
      }
    },
    { connection: bullConnection(config.redisUrl, logger), prefix, concurrency: config.sessionMailConcurrency ?? 1 },
  );
  worker.on("failed", (job, error) => logger.warn({ job: job?.name, jobId: job?.id, err: error }, "job failed"));
  worker.on("error", (error) => logger.warn({ err: error }, "worker connection error"));
  return worker;
}
