import {
  JobName,
  cleanupTokens,
  endOverrunSessions,
  evictStaleConnections,
  mediaReconcileTotals,
  reconcileMedia,
  reconcileParticipants,
  type JobCounts,
  type Services,
} from "@livehall/api";

export type JobHandler = () => Promise<JobCounts>;
export type JobHandlers = Record<JobName, JobHandler>;

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
  };
}
