import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import type { CoreConfig } from "../config";
import { Reason, appError } from "../errors";
import type { RedisKeys } from "../redis";
import { MAINTENANCE_QUEUE, type JobCounts, type JobName } from "./definitions";
import {
  SESSION_MAIL_JOB_OPTIONS,
  SESSION_MAIL_QUEUE,
  cancellationJobId,
  reminderJobId,
  type SessionMailJob,
} from "./session-mail";

/**
 * Enqueues maintenance jobs on demand (admin.runJob) into the queue the worker consumes, reads the
 * schedules, and plans session mails (reminders, cancellation notices) on the session-mail queue.
 * Built lazily: most web requests never touch BullMQ.
 */
export interface JobRunner {
  run(name: JobName): Promise<JobCounts>;
  /** The reminder of a session at this sequence, due at `at` (now if past); adding it again adds nothing. */
  scheduleReminder(sessionId: string, sequence: number, at: Date): Promise<void>;
  /** Removes the reminder of an earlier sequence, if it is still waiting. */
  dropReminder(sessionId: string, sequence: number): Promise<void>;
  /** The cancellation notice of a session, sent at once (once: its id is the session's). */
  queueCancellation(sessionId: string): Promise<void>;
  schedules(): Promise<{ name: string; every: number | null; next: number | null }[]>;
  workerCount(): Promise<number>;
  close(): Promise<void>;
}

export function createJobRunner(config: Pick<CoreConfig, "redisUrl" | "timings">, keys: RedisKeys): JobRunner {
  let parts: { queue: Queue; mail: Queue; events: QueueEvents; connection: Redis } | null = null;
  const open = () => {
    if (!parts) {
      // BullMQ's blocking reads need a connection that never gives up on a command.
      const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      connection.on("error", () => undefined);
      const prefix = keys.bullPrefix();
      parts = {
        connection,
        queue: new Queue(MAINTENANCE_QUEUE, { connection, prefix }),
        mail: new Queue<SessionMailJob>(SESSION_MAIL_QUEUE, { connection, prefix }),
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
    async scheduleReminder(sessionId, sequence, at) {
      const job: SessionMailJob = { kind: "REMINDER", sessionId, sequence };
      await open().mail.add(job.kind, job, {
        ...SESSION_MAIL_JOB_OPTIONS,
        jobId: reminderJobId(sessionId, sequence),
        delay: Math.max(0, at.getTime() - Date.now()),
      });
    },
    async dropReminder(sessionId, sequence) {
      // A job that already started cannot be removed (locked); it finds the newer sequence and sends nothing.
      await open()
        .mail.remove(reminderJobId(sessionId, sequence))
        .catch(() => 0);
    },
    async queueCancellation(sessionId) {
      const job: SessionMailJob = { kind: "CANCELLATION", sessionId };
      await open().mail.add(job.kind, job, { ...SESSION_MAIL_JOB_OPTIONS, jobId: cancellationJobId(sessionId) });
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
      const { queue, mail, events, connection } = parts;
      parts = null;
      await Promise.allSettled([events.close(), queue.close(), mail.close()]);
      connection.disconnect();
    },
  };
}
