import { Prisma } from "@livehall/db";
import type { Services } from "../context";
import type { SessionMailJob } from "../jobs/session-mail";
import { sendMail } from "../mail/send";

/**
 * Session mails (docs/decisions/022): the "starts in 15 minutes" reminder and the cancellation
 * notice, planned by the web process as BullMQ jobs and sent by the worker.
 *
 * At most once per (session, student, kind): the worker inserts the SessionNotice row (its primary
 * key is that triple) before sending, so a second worker running the same job, a retry or a restart
 * finds the row and sends nothing. A mail the server refused releases its row, so the retry sends it;
 * a crash between the insert and the send loses that one mail rather than risking a second.
 */

type PlanServices = Pick<Services, "jobs" | "config" | "logger">;

/** When a session's reminder is due: the lead time (SESSION_REMINDER_LEAD_MINUTES) before its start. */
export function reminderDueAt(services: Pick<Services, "config">, startsAt: Date): Date {
  return new Date(startsAt.getTime() - services.config.timings.sessionReminderLeadMs);
}

/**
 * Plans the reminder of a scheduled (or moved) session at its current sequence, dropping the one of
 * the sequence before. Never fails the change that called it: a queue outage is logged, and the
 * sessionMail.sync job plans every upcoming reminder again.
 */
export async function planReminder(
  services: PlanServices,
  session: { id: string; sequence: number; startsAt: Date },
): Promise<void> {
  try {
    if (session.sequence > 0) await services.jobs.dropReminder(session.id, session.sequence - 1);
    await services.jobs.scheduleReminder(session.id, session.sequence, reminderDueAt(services, session.startsAt));
  } catch (error) {
    services.logger.warn(
      { err: error, sessionId: session.id },
      "could not plan the session's reminder; the sync job will",
    );
  }
}

/** After a cancellation: the reminder is dropped and the notice queued (logged, never thrown, as above). */
export async function planCancellation(
  services: PlanServices,
  session: { id: string; sequence: number },
): Promise<void> {
  try {
    await services.jobs.dropReminder(session.id, session.sequence - 1);
    await services.jobs.queueCancellation(session.id);
  } catch (error) {
    services.logger.warn(
      { err: error, sessionId: session.id },
      "could not queue the cancellation notice; the sync job will",
    );
  }
}

type SendServices = Pick<Services, "db" | "config" | "logger" | "mailer" | "clock">;

interface Recipient {
  userId: string;
  email: string;
  name: string;
}

/**
 * Claims (session, student, kind) for every student `who` selects that has no row yet, in one
 * statement: of two workers claiming at once, each student goes to exactly one of them.
 */
async function claim(
  services: SendServices,
  sessionId: string,
  kind: SessionMailJob["kind"],
  who: Prisma.Sql,
): Promise<Recipient[]> {
  return services.db.$queryRaw<Recipient[]>`
    WITH claimed AS (
      INSERT INTO "SessionNotice" ("sessionId", "userId", kind)
      SELECT ${sessionId}::uuid, u.id, ${kind}::"SessionNoticeKind" FROM "User" u WHERE ${who}
      ON CONFLICT DO NOTHING
      RETURNING "userId")
    SELECT u.id AS "userId", u.email::text AS email, u.name FROM claimed JOIN "User" u ON u.id = claimed."userId"`;
}

/**
 * Enrolled (by `enrolledBy`, when given), verified, not disabled and not the course's instructor: who
 * may get a session's mails.
 */
function enrolledVerified(session: { courseId: string; instructorId: string }, enrolledBy?: Date): Prisma.Sql {
  const since = enrolledBy ? Prisma.sql`AND e."enrolledAt" <= ${enrolledBy}::timestamptz` : Prisma.empty;
  return Prisma.sql`u."emailVerifiedAt" IS NOT NULL AND u."disabledAt" IS NULL AND u.id <> ${session.instructorId}::uuid
    AND EXISTS (SELECT 1 FROM "Enrollment" e WHERE e."courseId" = ${session.courseId}::uuid AND e."userId" = u.id ${since})`;
}

/** Sends one claimed mail; a refusal releases the claim (so a retry may send it) and is rethrown. */
async function deliver(
  services: SendServices,
  sessionId: string,
  kind: SessionMailJob["kind"],
  recipient: Recipient,
  send: () => Promise<unknown>,
): Promise<boolean> {
  const key = { sessionId, userId: recipient.userId, kind };
  try {
    await send();
  } catch (error) {
    await services.db.sessionNotice.delete({ where: { sessionId_userId_kind: key } }).catch(() => undefined);
    services.logger.warn({ err: error, ...key }, "session mail refused; released for a retry");
    return false;
  }
  await services.db.sessionNotice.update({ where: { sessionId_userId_kind: key }, data: { sentAt: services.clock() } });
  return true;
}

async function deliverAll(
  services: SendServices,
  sessionId: string,
  kind: SessionMailJob["kind"],
  recipients: Recipient[],
  send: (recipient: Recipient) => Promise<unknown>,
  sendBefore?: Date,
): Promise<{ sent: number; failed: number; skipped: number }> {
  let sent = 0;
  let skipped = 0;
  for (const recipient of recipients) {
    // A reminder reaching its turn after the session started is dropped (its claim stays: no one sends it).
    if (sendBefore && services.clock() >= sendBefore) skipped++;
    else if (await deliver(services, sessionId, kind, recipient, () => send(recipient))) sent++;
  }
  const failed = recipients.length - sent - skipped;
  // Thrown after the others were sent, so BullMQ retries only the released ones.
  if (failed > 0) throw new Error(`${failed} of ${recipients.length} ${kind.toLowerCase()} mails were refused`);
  return { sent, failed, skipped };
}

async function loadSession(services: SendServices, sessionId: string) {
  return services.db.liveSession.findUnique({
    where: { id: sessionId },
    select: {
      id: true,
      title: true,
      status: true,
      startsAt: true,
      sequence: true,
      endedAt: true,
      plannedDurationMinutes: true,
      courseId: true,
      course: { select: { title: true, instructorId: true, instructor: { select: { name: true } } } },
    },
  });
}

/**
 * The worker's handler of one session-mail job. A reminder is sent only for a session that is still
 * scheduled at the job's sequence (a move made a newer job) and has not started yet, to enrolled,
 * verified students who left reminders on. A cancellation notice goes to the students who were
 * enrolled when it was cancelled (verified ones; the reminder preference does not apply).
 */
export async function sendSessionMail(services: SendServices, job: SessionMailJob) {
  const session = await loadSession(services, job.sessionId);
  if (!session) return { sent: 0, skipped: 1 };
  const common = {
    sessionId: session.id,
    sessionTitle: session.title,
    courseTitle: session.course.title,
    instructorName: session.course.instructor.name,
    startsAt: session.startsAt.toISOString(),
    durationMinutes: session.plannedDurationMinutes,
  };
  const course = { courseId: session.courseId, instructorId: session.course.instructorId };

  if (job.kind === "REMINDER") {
    const due =
      session.status === "SCHEDULED" &&
      session.sequence === job.sequence &&
      session.startsAt.getTime() > services.clock().getTime();
    if (!due) return { sent: 0, skipped: 1 };
    // Checked again inside the claim, with the session's row locked: a move or cancel that commits
    // after the check above claims nobody (the moved session's own job reminds them).
    const stillDue = Prisma.sql`EXISTS (SELECT 1 FROM "LiveSession" s WHERE s.id = ${session.id}::uuid
      AND s.status = 'SCHEDULED' AND s.sequence = ${job.sequence} AND s."startsAt" > ${services.clock()}::timestamptz
      FOR SHARE)`;
    const recipients = await claim(
      services,
      session.id,
      "REMINDER",
      Prisma.sql`${enrolledVerified(course)} AND u."sessionReminders" AND ${stillDue}`,
    );
    const minutes = Math.max(1, Math.round((session.startsAt.getTime() - services.clock().getTime()) / 60_000));
    return deliverAll(
      services,
      session.id,
      "REMINDER",
      recipients,
      (to) =>
        sendMail(services, {
          to: to.email,
          template: { id: "session-reminder", params: { ...common, name: to.name, minutes } },
        }),
      session.startsAt,
    );
  }

  if (session.status !== "CANCELLED") return { sent: 0, skipped: 1 };
  const recipients = await claim(
    services,
    session.id,
    "CANCELLATION",
    enrolledVerified(course, session.endedAt ?? services.clock()),
  );
  return deliverAll(services, session.id, "CANCELLATION", recipients, (to) =>
    sendMail(services, { to: to.email, template: { id: "session-cancelled", params: { ...common, name: to.name } } }),
  );
}

/** How far ahead sessionMail.sync plans reminders (those further out were planned when scheduled). */
const SYNC_HORIZON_MS = 24 * 60 * 60_000;
/** Cancellations this recent get their notice queued again if the queue lost it. */
const SYNC_CANCELLED_WITHIN_MS = 60 * 60_000;
const SYNC_BATCH = 1_000;

/**
 * sessionMail.sync — plans again every reminder due within a day and every notice of a session
 * cancelled in the last hour. Redis keeps nothing on disk, and a change whose planning failed only
 * logged it: this puts back what the queue lost. Adding a job that exists adds nothing, and the
 * ledger keeps a repeated run from sending twice.
 */
export async function syncSessionMail(services: Pick<Services, "db" | "jobs" | "config" | "clock" | "logger">) {
  const now = services.clock();
  const lead = services.config.timings.sessionReminderLeadMs;
  const upcoming = await services.db.liveSession.findMany({
    where: { status: "SCHEDULED", startsAt: { gt: now, lte: new Date(now.getTime() + SYNC_HORIZON_MS + lead) } },
    select: { id: true, sequence: true, startsAt: true },
    orderBy: { startsAt: "asc" },
    take: SYNC_BATCH,
  });
  for (const session of upcoming) {
    await services.jobs.scheduleReminder(session.id, session.sequence, reminderDueAt(services, session.startsAt));
  }
  const cancelled = await services.db.liveSession.findMany({
    where: { status: "CANCELLED", endedAt: { gte: new Date(now.getTime() - SYNC_CANCELLED_WITHIN_MS) } },
    select: { id: true },
    take: SYNC_BATCH,
  });
  for (const session of cancelled) await services.jobs.queueCancellation(session.id);
  return { reminders: upcoming.length, cancellations: cancelled.length };
}

// ---------------------------------------------------------------------------------------------
// The user's choice (account page)
// ---------------------------------------------------------------------------------------------

/** account.sessionReminders — whether the user gets reminders, and whether their address can receive them yet. */
export async function sessionReminderSetting(services: Pick<Services, "db" | "config">, userId: string) {
  const user = await services.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { sessionReminders: true, emailVerifiedAt: true },
  });
  return {
    enabled: user.sessionReminders,
    emailVerified: user.emailVerifiedAt !== null,
    leadMinutes: Math.round(services.config.timings.sessionReminderLeadMs / 60_000),
  };
}

/** account.setSessionReminders — turns the reminder mails on or off (cancellation notices still come). */
export async function setSessionReminders(services: Pick<Services, "db" | "config">, userId: string, enabled: boolean) {
  await services.db.user.update({ where: { id: userId }, data: { sessionReminders: enabled } });
  return sessionReminderSetting(services, userId);
}
