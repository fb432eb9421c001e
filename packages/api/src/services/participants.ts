import { Prisma } from "@livehall/db";
import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import { presenceCounters } from "../metrics";
import { participantsChannel, type LeaveReasonValue, type ParticipantEvent, type ParticipantView } from "./participant-events";
import { addConnection, clearSession, connectionCounts, removeConnection, removeUser, touchConnection } from "./presence";

type ParticipantServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events">;

/**
 * Join and leave of one (session, user) are serialized by a transaction-scoped advisory lock, and
 * each changes Redis (connections) and Postgres (the participant row) inside it. Without it a leave
 * from one tab could close the row just as another tab joins, leaving a connection with no row.
 */
const LOCK_WAIT = { maxWait: 30_000, timeout: 15_000 };

function lockParticipant(tx: Prisma.TransactionClient, sessionId: string, userId: string) {
  return tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`participant:${sessionId}:${userId}`}, 0))`;
}

export async function activeParticipantCount(services: Pick<Services, "db">, sessionId: string): Promise<number> {
  return services.db.sessionParticipant.count({ where: { sessionId, leftAt: null } });
}

async function participantRows(services: Pick<Services, "db">, sessionId: string, userIds?: string[]) {
  const onlyUsers = userIds ? Prisma.sql`AND p."userId" = ANY(${userIds}::uuid[])` : Prisma.empty;
  return services.db.$queryRaw<{ userId: string; name: string; joinedAt: Date; isInstructor: boolean }[]>`
    SELECT p."userId", u.name, p."joinedAt", (p."userId" = c."instructorId") AS "isInstructor"
    FROM "SessionParticipant" p
    JOIN "User" u ON u.id = p."userId"
    JOIN "LiveSession" s ON s.id = p."sessionId"
    JOIN "Course" c ON c.id = s."courseId"
    WHERE p."sessionId" = ${sessionId}::uuid AND p."leftAt" IS NULL ${onlyUsers}
    ORDER BY p."joinedAt", p."userId"`;
}

/** Active participants (one per user) with their number of open connections (tabs). */
export async function listParticipants(services: ParticipantServices, sessionId: string): Promise<ParticipantView[]> {
  const [rows, counts] = await Promise.all([participantRows(services, sessionId), connectionCounts(services, sessionId)]);
  return rows.map((row) => ({
    userId: row.userId,
    name: row.name,
    joinedAt: row.joinedAt.toISOString(),
    connections: counts.get(row.userId) ?? 0,
    isInstructor: row.isInstructor,
  }));
}

/** Publishes a participant event with the next sequence number of the session. */
export async function publishParticipantEvent(
  services: Pick<Services, "redis" | "keys" | "events">,
  sessionId: string,
  event: DistributiveOmit<ParticipantEvent, "seq">,
): Promise<void> {
  const seq = await services.redis.incr(services.keys.participantEventSeq(sessionId));
  await services.events.publish(participantsChannel(sessionId), { ...event, seq });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

async function sessionMissingOrNotLive(services: Pick<Services, "db">, sessionId: string): Promise<never> {
  const session = await services.db.liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
  if (!session) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  throw appError("PRECONDITION_FAILED", Reason.SESSION_NOT_LIVE, `This session is ${session.status.toLowerCase()}, not live.`);
}

/**
 * session.join — idempotent: any number of tabs, retries or concurrent calls leave exactly one active
 * row per user, by one INSERT … ON CONFLICT against the partial unique index. The session row is
 * share-locked so a concurrent `end` either sees this row (and closes it) or makes this join fail.
 */
export async function join(services: ParticipantServices, user: SessionUser, sessionId: string, connectionId: string) {
  const now = services.clock();
  const joined = await services.db.$transaction(async (tx) => {
    await lockParticipant(tx, sessionId, user.id);
    const connections = await addConnection(services, sessionId, user.id, connectionId, now.getTime());
    // One statement inserts (or finds) the row and reads what the answer and the event need: the
    // name, whether this is the course's instructor and the active count (seen from this statement,
    // so a new row adds one). Joins come in storms; every round trip saved is saved a thousand times.
    const rows = await tx.$queryRaw<{ joinedAt: Date; inserted: boolean; name: string; isInstructor: boolean; participantCount: number }[]>`
      WITH live AS (
        SELECT s.id, c."instructorId" FROM "LiveSession" s JOIN "Course" c ON c.id = s."courseId"
        WHERE s.id = ${sessionId}::uuid AND s.status = 'LIVE' FOR SHARE OF s
      ), joined AS (
        INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
        SELECT live.id, ${user.id}::uuid, ${now}, ${now} FROM live
        ON CONFLICT ("sessionId", "userId") WHERE "leftAt" IS NULL
        DO UPDATE SET "lastSeenAt" = EXCLUDED."lastSeenAt"
        RETURNING "joinedAt", (xmax = 0) AS inserted
      )
      SELECT joined."joinedAt", joined.inserted, u.name, (u.id = live."instructorId") AS "isInstructor",
             (SELECT count(*)::int FROM "SessionParticipant" p WHERE p."sessionId" = ${sessionId}::uuid AND p."leftAt" IS NULL)
               + CASE WHEN joined.inserted THEN 1 ELSE 0 END AS "participantCount"
      FROM joined CROSS JOIN live JOIN "User" u ON u.id = ${user.id}::uuid`;
    if (rows.length === 0) {
      await removeConnection(services, sessionId, user.id, connectionId);
      return null;
    }
    return { ...rows[0]!, connections };
  }, LOCK_WAIT);
  if (!joined) {
    presenceCounters.joins.inc({ outcome: "refused" });
    return sessionMissingOrNotLive(services, sessionId);
  }
  presenceCounters.joins.inc({ outcome: joined.inserted ? "new_participant" : "another_tab_or_retry" });

  const { participantCount } = joined;
  await publishParticipantEvent(services, sessionId, {
    type: joined.inserted ? "joined" : "updated",
    participant: { userId: user.id, name: joined.name, joinedAt: joined.joinedAt.toISOString(), connections: joined.connections, isInstructor: joined.isInstructor },
    participantCount,
  });
  return {
    joinedAt: joined.joinedAt,
    connections: joined.connections,
    participantCount,
    heartbeatIntervalMs: services.config.timings.heartbeatIntervalMs,
  };
}

/** session.heartbeat — Redis only. "rejoin" when the server no longer knows this connection. */
export async function heartbeat(services: ParticipantServices, user: SessionUser, sessionId: string, connectionId: string) {
  const known = await touchConnection(services, sessionId, user.id, connectionId, services.clock().getTime());
  presenceCounters.heartbeats.inc({ answer: known ? "ok" : "rejoin" });
  return { status: known ? ("ok" as const) : ("rejoin" as const), heartbeatIntervalMs: services.config.timings.heartbeatIntervalMs };
}

async function closeRow(tx: Prisma.TransactionClient, sessionId: string, userId: string, reason: LeaveReasonValue, at: Date): Promise<boolean> {
  const closed = await tx.sessionParticipant.updateMany({
    where: { sessionId, userId, leftAt: null },
    data: { leftAt: at, lastSeenAt: at, leaveReason: reason },
  });
  presenceCounters.leaves.inc({ reason }, closed.count);
  return closed.count > 0;
}

/**
 * session.leave — removes this connection; the row closes (LEFT) only when the user's last
 * connection is gone, so closing one tab never removes a user who still has another. Repeatable.
 */
export async function leave(services: ParticipantServices, user: SessionUser, sessionId: string, connectionId: string) {
  const now = services.clock();
  const outcome = await services.db.$transaction(async (tx) => {
    await lockParticipant(tx, sessionId, user.id);
    const remaining = await removeConnection(services, sessionId, user.id, connectionId);
    const closed = remaining === 0 ? await closeRow(tx, sessionId, user.id, "LEFT", now) : false;
    return { remaining, closed };
  }, LOCK_WAIT);
  const participantCount = await activeParticipantCount(services, sessionId);
  if (outcome.closed) {
    await publishParticipantEvent(services, sessionId, { type: "left", userIds: [user.id], reason: "LEFT", participantCount });
  } else if (outcome.remaining > 0) {
    const [view] = await participantRows(services, sessionId, [user.id]);
    if (view) {
      await publishParticipantEvent(services, sessionId, {
        type: "updated",
        participant: { userId: view.userId, name: view.name, joinedAt: view.joinedAt.toISOString(), connections: outcome.remaining, isInstructor: view.isInstructor },
        participantCount,
      });
    }
  }
  return { left: outcome.closed, remainingConnections: outcome.remaining, participantCount };
}

/** Signing out leaves every connection of the user in every session. */
export async function leaveAllSessions(services: ParticipantServices, userId: string): Promise<number> {
  const active = await services.db.sessionParticipant.findMany({ where: { userId, leftAt: null }, select: { sessionId: true } });
  const now = services.clock();
  for (const { sessionId } of active) {
    const closed = await services.db.$transaction(async (tx) => {
      await lockParticipant(tx, sessionId, userId);
      await removeUser(services, sessionId, userId);
      return closeRow(tx, sessionId, userId, "LEFT", now);
    }, LOCK_WAIT);
    if (closed) {
      const participantCount = await activeParticipantCount(services, sessionId);
      await publishParticipantEvent(services, sessionId, { type: "left", userIds: [userId], reason: "LEFT", participantCount });
    }
  }
  return active.length;
}

/**
 * Closes every active row of a session (reason ENDED) and clears its presence: called by end and
 * cancel in the same transaction that changes the session's status.
 */
export async function closeAllParticipants(tx: Prisma.TransactionClient, sessionId: string, at: Date): Promise<number> {
  const closed = await tx.sessionParticipant.updateMany({
    where: { sessionId, leftAt: null },
    data: { leftAt: at, lastSeenAt: at, leaveReason: "ENDED" },
  });
  presenceCounters.leaves.inc({ reason: "ENDED" }, closed.count);
  return closed.count;
}

export async function clearPresenceAndAnnounce(services: ParticipantServices, sessionId: string, status: "ENDED" | "CANCELLED"): Promise<void> {
  await clearSession(services, sessionId);
  await publishParticipantEvent(services, sessionId, { type: "status", status, participantCount: 0 });
}

/** session.onParticipants — a snapshot on every (re)connect, then the deltas after it. */
export async function* participantEvents(services: ParticipantServices, sessionId: string, signal: AbortSignal | undefined): AsyncGenerator<ParticipantEvent> {
  // Subscribe before reading the snapshot, so no delta published in between is lost.
  const deltas = await services.events.subscribe<ParticipantEvent>(participantsChannel(sessionId), signal);
  const snapshotSeq = Number((await services.redis.get(services.keys.participantEventSeq(sessionId))) ?? 0);
  const session = await services.db.liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
  if (!session) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  const participants = await listParticipants(services, sessionId);
  yield { type: "snapshot", seq: snapshotSeq, status: session.status, participants, participantCount: participants.length };
  for await (const event of deltas) {
    // Deltas up to the snapshot's sequence are already part of it.
    if (event.seq > snapshotSeq) yield event;
  }
}
