import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import type { CoreConfig } from "../config";
import { Reason, appError } from "../errors";
import type { RedisKeys } from "../redis";
import { MAINTENANCE_QUEUE, type JobCounts, type JobName } from "./definitions";

/**
 * Enqueues maintenance jobs on demand (admin.runJob) into the queue the worker consumes, and reads
 * the schedules. Built lazily: most web requests never touch BullMQ.
 */
export interface JobRunner {
  run(name: JobName): Promise<JobCounts>;
  schedules(): Promise<{ name: string; every: number | null; next: number | null }[]>;
  workerCount(): Promise<number>;
  close(): Promise<void>;
}

export function createJobRunner(config: Pick<CoreConfig, "redisUrl" | "timings">, keys: RedisKeys): JobRunner {
  let parts: { queue: Queue; events: QueueEvents; connection: Redis } | null = null;
  const open = () => {
    if (!parts) {
      // BullMQ's blocking reads need a connection that never gives up on a command.
      const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      connection.on("error", () => undefined);
      const prefix = keys.bullPrefix();
      parts = {
        connection,
        queue: new Queue(MAINTENANCE_QUEUE, { connection, prefix }),
        events: new QueueEvents(MAINTENANCE_QUEUE, { connection: connection.duplicate(), prefix }),
      };
    }
    return parts;
  };

  return {
    async run(name) {
      const { queue, events } = open();
      await events.waitUntilReady();
      if ((await queue.getWorkersCount()) === 0) {
        throw appError(
          "PRECONDITION_FAILED",
          Reason.NO_WORKER,
          "No worker is running, so the job cannot run. Start the worker (npm start runs it).",
        );
      }
      const job = await queue.add(name, { trigger: "admin" }, { removeOnComplete: 200, removeOnFail: 500 });
      try {
        return (await job.waitUntilFinished(events, config.timings.runJobTimeoutMs)) as JobCounts;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message.includes("timed out")) {
          throw appError(
            "TIMEOUT",
            Reason.JOB_TIMEOUT,
            `The job is still running after ${Math.round(config.timings.runJobTimeoutMs / 1000)} s; its result will show on the admin page.`,
          );
        }
        throw appError("INTERNAL_SERVER_ERROR", Reason.JOB_FAILED, `The job failed: ${message}`);
      }
    },
    async schedules() {
      const { queue } = open();
      const schedulers = await queue.getJobSchedulers();
      return schedulers.map((scheduler) => ({
        name: scheduler.name,
        every: scheduler.every ? Number(scheduler.every) : null,
        next: scheduler.next ?? null,
      }));
    },
    async workerCount() {
      return open().queue.getWorkersCount();
    },
    async close() {
      if (!parts) return;
      const { queue, events, connection } = parts;
      parts = null;
      await Promise.allSettled([events.close(), queue.close()]);
      connection.disconnect();
    },
  };
}
