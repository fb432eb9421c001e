import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import type { Actor } from "./course";
import { mediaGrantsChanged } from "./media-access";
import { LOCK_WAIT, activeParticipantCount, closeRow, lockParticipants, publishParticipantEvent } from "./participants";
import { removeUserRemembered } from "./presence";
import { findManagedSession } from "./session-catalog";

type RemovalServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

/**
 * The course's instructor (or an admin) may remove someone from a session; the removal is stored
 * (SessionRemoval), so every join of theirs is refused with REMOVED_BY_HOST until they are let back
 * in. Removal and join take the same participant lock: a join either committed before (and its row
 * is closed here) or reads the removal and is refused — never a row after a removal.
 */
async function managedTarget(services: RemovalServices, actor: Actor, sessionId: string, userId: string) {
  const session = await findManagedSession(services, actor, sessionId);
  const target = await services.db.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!target) throw appError("NOT_FOUND", Reason.USER_NOT_FOUND, "This person does not exist.");
  return { session, isInstructor: session.instructorId === userId };
}

/** session.removeParticipant — every tab of the user leaves (their heartbeats answer "removed"), the row closes REMOVED. */
export async function removeParticipant(
  services: RemovalServices,
  actor: SessionUser,
  sessionId: string,
  userId: string,
): Promise<{ removed: true; participantCount: number }> {
  const { session, isInstructor } = await managedTarget(services, actor, sessionId, userId);
  if (isInstructor) {
    throw appError(
      "FORBIDDEN",
      Reason.CANNOT_REMOVE_INSTRUCTOR,
      "The course's instructor cannot be removed from their own session.",
    );
  }
  if (session.status !== "LIVE") {
    throw appError("CONFLICT", Reason.SESSION_NOT_LIVE, `This session is ${session.status.toLowerCase()}, not live.`);
  }
  const now = services.clock();
  const closed = await services.db.$transaction(async (tx) => {
    await lockParticipants(tx, sessionId, [userId]);
    await tx.$executeRaw`
      INSERT INTO "SessionRemoval" ("sessionId", "userId", "removedById", "removedAt")
      VALUES (${sessionId}::uuid, ${userId}::uuid, ${actor.id}::uuid, ${now})
      ON CONFLICT ("sessionId", "userId") DO NOTHING`;
    // Redis first, then the row, under the lock (docs/decisions/007).
    await removeUserRemembered(services, sessionId, userId, "removed", now.getTime());
    return closeRow(tx, sessionId, userId, "REMOVED", now);
  }, LOCK_WAIT);
  mediaGrantsChanged(services, sessionId);
  const participantCount = await activeParticipantCount(services, sessionId);
  if (closed) {
    await publishParticipantEvent(services, sessionId, {
      type: "left",
      userIds: [userId],
      reason: "REMOVED",
      participantCount,
    });
  }
  return { removed: true, participantCount };
}

/** session.readmitParticipant — lets a removed user join again (they still have to press Join). */
export async function readmitParticipant(
  services: RemovalServices,
  actor: SessionUser,
  sessionId: string,
  userId: string,
): Promise<{ readmitted: boolean }> {
  await managedTarget(services, actor, sessionId, userId);
  const { count } = await services.db.sessionRemoval.deleteMany({ where: { sessionId, userId } });
  return { readmitted: count > 0 };
}

/** The most removals `session.removals` lists. */
export const REMOVALS_LIMIT = 500;

/** session.removals — who was removed from the session, latest first (the course's instructor or an admin). */
export async function listRemovals(services: RemovalServices, actor: SessionUser, sessionId: string) {
  await findManagedSession(services, actor, sessionId);
  const rows = await services.db.sessionRemoval.findMany({
    where: { sessionId },
    orderBy: [{ removedAt: "desc" }, { userId: "asc" }],
    take: REMOVALS_LIMIT,
    select: { userId: true, removedAt: true, user: { select: { name: true } } },
  });
  return rows.map((row) => ({ userId: row.userId, name: row.user.name, removedAt: row.removedAt.toISOString() }));
}
