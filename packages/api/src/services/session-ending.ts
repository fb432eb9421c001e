import { Prisma } from "@livehall/db";
import type { Services } from "../context";
import { Reason, appError } from "../errors";
import type { Actor } from "./course";
import { mediaSessionFinished } from "./media-rooms";
import { clearPresenceAndAnnounce, closeAllParticipants } from "./participants";
import { planCancellation } from "./session-mail";
import { findManagedSession, getSession, type SessionView } from "./session-catalog";

type EndingServices = Pick<
  Services,
  "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger" | "jobs"
>;
type Finished = "ENDED" | "CANCELLED";
type EndReason = "HOST" | "OVERRUN";

/**
 * Moves a session from `from` to `to` (ENDED or CANCELLED, with why), closing every active
 * participant (reason ENDED) in the same transaction, then clears presence and tells every open
 * room. `stillDue`, run first inside the transaction, may call it off. True when this call moved it.
 * A cancellation grows the sequence (calendars show the event cancelled) and queues the notice.
 */
async function finish(
  services: EndingServices,
  sessionId: string,
  to: Finished,
  from: "SCHEDULED" | "LIVE",
  reason: EndReason,
  stillDue?: (tx: Prisma.TransactionClient) => Promise<boolean>,
): Promise<boolean> {
  const now = services.clock();
  const changed = await services.db.$transaction(async (tx) => {
    if (stillDue && !(await stillDue(tx))) return null;
    // The UPDATE waits for joins and sweep batches holding the session row (FOR SHARE), and makes
    // later joins fail.
    const moved = await tx.liveSession.updateManyAndReturn({
      where: { id: sessionId, status: from },
      data: {
        status: to,
        endedAt: now,
        endedReason: reason,
        ...(to === "CANCELLED" ? { sequence: { increment: 1 } } : {}),
      },
      select: { id: true, sequence: true },
    });
    if (moved.length === 0) return null;
    await closeAllParticipants(tx, sessionId, now);
    return moved[0]!;
  });
  if (changed) {
    await clearPresenceAndAnnounce(services, sessionId, to);
    mediaSessionFinished(services, sessionId);
    if (to === "CANCELLED") await planCancellation(services, changed);
  }
  return changed !== null;
}

/** session.end — LIVE → ENDED. Repeating it answers the ended session; any other status is a CONFLICT. */
export async function endSession(services: EndingServices, actor: Actor, sessionId: string): Promise<SessionView> {
  await findManagedSession(services, actor, sessionId);
  await finish(services, sessionId, "ENDED", "LIVE", "HOST");
  const session = await getSession(services, sessionId);
  if (session.status !== "ENDED") {
    throw appError(
      "CONFLICT",
      Reason.SESSION_NOT_LIVE,
      `This session is ${session.status.toLowerCase()} and cannot be ended.`,
    );
  }
  return session;
}

/**
 * session.cancel — SCHEDULED → CANCELLED. A session that already started cannot be called off: on
 * a live one, cancel ends it (exactly what session.end does), so attendance and ratings are kept.
 * Repeating a cancel answers the cancelled session; an ended session is a CONFLICT.
 */
export async function cancelSession(services: EndingServices, actor: Actor, sessionId: string): Promise<SessionView> {
  const { status } = await findManagedSession(services, actor, sessionId);
  if (status === "SCHEDULED") await finish(services, sessionId, "CANCELLED", "SCHEDULED", "HOST");
  const session = await getSession(services, sessionId);
  // Live already, or started while this cancel ran.
  if (session.status === "LIVE") return endSession(services, actor, sessionId);
  if (session.status !== "CANCELLED") {
    throw appError(
      "CONFLICT",
      Reason.SESSION_NOT_CANCELLABLE,
      `This session is ${session.status.toLowerCase()} and cannot be cancelled.`,
    );
  }
  return session;
}

/** Live sessions looked at per run of the overrun job, at most (a run finds few: only forgotten ones). */
const OVERRUN_BATCH = 500;

/**
 * The overrun rule, in SQL over a session `s`: live, its planned end (from when it really started)
 * plus the grace is past, and its course's instructor has no active participant row.
 */
function overrunSql(now: Date, graceMs: number): Prisma.Sql {
  return Prisma.sql`s.status = 'LIVE'
    AND COALESCE(s."startedAt", s."startsAt") + make_interval(mins => s."plannedDurationMinutes")
        + ${graceMs}::float8 * interval '1 millisecond' < ${now}::timestamptz
    AND NOT EXISTS (
      SELECT 1 FROM "SessionParticipant" p JOIN "Course" c ON c.id = s."courseId"
       WHERE p."sessionId" = s.id AND p."userId" = c."instructorId" AND p."leftAt" IS NULL)`;
}

/**
 * sessions.endOverrun — ends (reason OVERRUN) every live session whose planned end plus
 * SESSION_OVERRUN_GRACE_MINUTES has passed while its instructor is not in the room, as a host who
 * forgot to press End would have. Safe with several workers: each session is re-checked under its
 * row lock (which also waits for a join in flight), so it is ended, and announced, exactly once.
 */
export async function endOverrunSessions(services: EndingServices): Promise<{ sessions: number; ended: number }> {
  const now = services.clock();
  const grace = services.config.timings.sessionOverrunGraceMs;
  const candidates = await services.db.$queryRaw<{ id: string }[]>`
    SELECT s.id FROM "LiveSession" s WHERE ${overrunSql(now, grace)} ORDER BY s."startsAt" LIMIT ${OVERRUN_BATCH}::int`;
  let ended = 0;
  for (const { id } of candidates) {
    const stillDue = async (tx: Prisma.TransactionClient) => {
      // Locking first makes the check below a fresh read: an instructor's join that committed
      // meanwhile is seen, one still in flight is waited for.
      const locked = await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM "LiveSession" WHERE id = ${id}::uuid AND status = 'LIVE' FOR UPDATE`;
      if (locked.length === 0) return false;
      const due = await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM "LiveSession" s WHERE s.id = ${id}::uuid AND ${overrunSql(now, grace)}`;
      return due.length > 0;
    };
    if (await finish(services, id, "ENDED", "LIVE", "OVERRUN", stillDue)) ended++;
  }
  return { sessions: candidates.length, ended };
}
