/**
 * The session-mail queue (docs/decisions/022): one delayed job per session for its "starts soon"
 * reminder, and one job per cancelled session for the cancellation notice. Job ids are derived from
 * the session, so adding the same job twice adds it once; a reminder's id also carries the session's
 * sequence, so a job left over from before a move finds a newer sequence and sends nothing.
 */
export const SESSION_MAIL_QUEUE = "session-mail";

export type SessionMailJob =
  { kind: "REMINDER"; sessionId: string; sequence: number } | { kind: "CANCELLATION"; sessionId: string };

/** BullMQ refuses ':' in custom ids. */
export const reminderJobId = (sessionId: string, sequence: number) => `reminder-${sessionId}-v${sequence}`;
export const cancellationJobId = (sessionId: string) => `cancellation-${sessionId}`;

/** A reminder is a few sends; retried as the maintenance jobs are, and kept a day for inspection. */
export const SESSION_MAIL_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential", delay: 1_000 },
  removeOnComplete: { age: 24 * 60 * 60 },
  removeOnFail: { age: 7 * 24 * 60 * 60 },
} as const;
