import {
  JobName,
  cleanupTokens,
  endOverrunSessions,
  evictStaleConnections,
  mediaReconcileTotals,
  reconcileMedia,
  reconcileParticipants,
  sendSessionMail,
  syncSessionMail,
  type JobCounts,
  type Services,
  type SessionMailJob,
} from "@livehall/api";

export type JobHandler = () => Promise<JobCounts>;
export type JobHandlers = Record<JobName, JobHandler>;
/** Sends the mails of one session-mail job (a reminder or a cancellation notice). */
export type SessionMailHandler = (job: SessionMailJob) => Promise<JobCounts>;

/**
 * The scheduled maintenance jobs call the same service functions as the admin procedures, so no
 * rule is written twice. Each is idempotent and batched: BullMQ may run a stalled job again.
 */
export function createJobHandlers(services: Services): JobHandlers {
  return {
    [JobName.tokensExpire]: () => cleanupTokens(services),
    [JobName.participantsDedupe]: async () => ({ ...(await reconcileParticipants(services)) }),
    [JobName.heartbeatsEvict]: async () => ({ ...(await evictStaleConnections(services)) }),
    [JobName.sessionsEndOverrun]: () => endOverrunSessions(services),
    [JobName.mediaReconcile]: async () => mediaReconcileTotals(await reconcileMedia(services)),
    [JobName.sessionMailSync]: () => syncSessionMail(services),
  };
}

export function createSessionMailHandler(services: Services): SessionMailHandler {
  return (job) => sendSessionMail(services, job);
}
