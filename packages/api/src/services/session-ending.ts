import type { Services } from "../context";
import { Reason, appError } from "../errors";
import type { Actor } from "./course";
import { clearPresenceAndAnnounce, closeAllParticipants } from "./participants";
import { findManagedSession, getSession, type SessionView } from "./session-catalog";

type EndingServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events">;

/**
 * Moves a session to ENDED or CANCELLED from one of `from`, closing every active participant
 * (reason ENDED) in the same transaction, then clears presence and tells every open room.
 * Repeating it answers the same session; a session in any other status is a CONFLICT.
 */
async function finish(
  services: EndingServices,
  actor: Actor,
  sessionId: string,
  to: "ENDED" | "CANCELLED",
  from: ("SCHEDULED" | "LIVE")[],
): Promise<SessionView> {
  await findManagedSession(services, actor, sessionId);
  const now = services.clock();
  const changed = await services.db.$transaction(async (tx) => {
    // The UPDATE waits for joins holding the session row (FOR SHARE) and makes later ones fail.
    const { count } = await tx.liveSession.updateMany({
      where: { id: sessionId, status: { in: from } },
      data: { status: to, endedAt: now },
    });
    if (count === 0) return false;
    await closeAllParticipants(tx, sessionId, now);
    return true;
  });
  const session = await getSession(services, sessionId);
  if (!changed && session.status !== to) {
    const reason = to === "ENDED" ? Reason.SESSION_NOT_LIVE : Reason.SESSION_NOT_CANCELLABLE;
    throw appError(
      "CONFLICT",
      reason,
      `This session is ${session.status.toLowerCase()} and cannot be ${to === "ENDED" ? "ended" : "cancelled"}.`,
    );
  }
  if (changed) await clearPresenceAndAnnounce(services, sessionId, to);
  return session;
}

/** session.end — LIVE → ENDED. */
export function endSession(services: EndingServices, actor: Actor, sessionId: string): Promise<SessionView> {
  return finish(services, actor, sessionId, "ENDED", ["LIVE"]);
}

/** session.cancel — SCHEDULED or LIVE → CANCELLED. */
export function cancelSession(services: EndingServices, actor: Actor, sessionId: string): Promise<SessionView> {
  return finish(services, actor, sessionId, "CANCELLED", ["SCHEDULED", "LIVE"]);
}
