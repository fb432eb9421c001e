import type { Timings } from "../config";

/** The BullMQ queue the worker consumes and admins enqueue on-demand runs into. */
export const MAINTENANCE_QUEUE = "maintenance";

export const JobName = {
  tokensExpire: "tokens.expire",
  participantsDedupe: "participants.dedupe",
  heartbeatsEvict: "heartbeats.evict",
  sessionsEndOverrun: "sessions.endOverrun",
  mediaReconcile: "media.reconcile",
  sessionMailSync: "sessionMail.sync",
} as const;

export type JobName = (typeof JobName)[keyof typeof JobName];

export const JOB_NAMES = [
  JobName.tokensExpire,
  JobName.participantsDedupe,
  JobName.heartbeatsEvict,
  JobName.sessionsEndOverrun,
  JobName.mediaReconcile,
  JobName.sessionMailSync,
] as const;

/** Job scheduler id → how often it runs, from the one timings config. */
export function jobSchedule(timings: Timings): Record<JobName, number> {
  return {
    [JobName.tokensExpire]: timings.schedulerEveryMs.tokensExpire,
    [JobName.participantsDedupe]: timings.schedulerEveryMs.participantsDedupe,
    [JobName.heartbeatsEvict]: timings.schedulerEveryMs.heartbeatsEvict,
    [JobName.sessionsEndOverrun]: timings.schedulerEveryMs.sessionsEndOverrun,
    [JobName.mediaReconcile]: timings.schedulerEveryMs.mediaReconcile,
    [JobName.sessionMailSync]: timings.schedulerEveryMs.sessionMailSync,
  };
}

/** What every job run reports: named counts (rows deleted, connections evicted, drift found…). */
export type JobCounts = Record<string, number>;
