import { Prisma } from "@livehall/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Services, SessionUser } from "../context";
import { Reason, appError, reasonOf, retryAfterOf } from "../errors";
import type { EventSubscription } from "../events";
import { endsSignIn, signOutChannel, type SignOutNotice } from "../auth/sign-out-notices";
import { presenceCounters } from "../metrics";
import {
  participantsChannel,
  type LeaveReasonValue,
  type ParticipantEvent,
  type ParticipantView,
} from "./participant-events";
import { groupCommit, type Outcome } from "./join-batch";
import {
  LEFT,
  REMOVED,
  REPLACED,
  TOUCHED,
  UNKNOWN,
  addConnection,
  clearSession,
  connectionCountsOf,
  removeConnection,
  removeUser,
  removeUserRemembered,
  touchConnection,
} from "./presence";
import { assertRoomAccess, notEnrolled, readRoomAccess, sessionNotFound, type EnrollmentPolicy } from "./enrollment";
import { mediaGrantsChanged } from "./media-access";
import { readMediaState } from "./media-state";
import { roomRateLimited, spendRoomBudget } from "./room-limits";
import { lowerHandsOfLeavers } from "./room-interaction";
import { appendParticipantEvents, type UnnumberedParticipantEvent } from "./room-log";

type ParticipantServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

/**
 * Join and leave of one (session, user) are serialized by a transaction-scoped advisory lock, and
 * each changes Redis (connections) and Postgres (the participant row) inside it. Without it a leave
 * from one tab could close the row just as another tab joins, leaving a connection with no row.
 */
export const LOCK_WAIT = { maxWait: 30_000, timeout: 15_000 };

/**
 * The session's own locks, one per sweep lane: every participant locker holds them all, shared; a
 * sweep's batch holds its lane's alone (the reconcile job's close, every lane's). So the lanes'
 * batches run side by side while the session's joins and leaves wait for them, and no per-user lock
 * is needed for a batch of thousands.
 */
export const SESSION_SWEEP_LANES = 2;

const laneLock = (sessionId: string, lane: number | Prisma.Sql) =>
  Prisma.sql`hashtextextended('participants:' || ${sessionId} || ':' || ${lane}, 0)`;

/** One row: every lane lock of the session taken with `lock` (shared or exclusive), in lane order. */
const everyLane = (sessionId: string, lock: "pg_advisory_xact_lock" | "pg_advisory_xact_lock_shared") =>
  Prisma.sql`SELECT count(${Prisma.raw(lock)}(${laneLock(sessionId, Prisma.sql`lane`)}))
             FROM generate_series(0, ${SESSION_SWEEP_LANES - 1}) AS lane`;

/**
 * The participant locks of `userIds` (distinct), taken in sorted order: join, leave, sign-out,
 * removals and the reconcile job's orphan check lock through here, so every locker uses the same keys
 * in the same order and none can deadlock. The session's lane locks are taken first, shared, in lane
 * order (the subquery runs before the sort, whose output the per-user locks are taken on). The ids
 * travel as one comma-separated parameter (UUIDs), not an array of thousands.
 */
export function lockParticipants(tx: Prisma.TransactionClient, sessionId: string, userIds: string[]) {
  return tx.$executeRaw`
    SELECT pg_advisory_xact_lock(hashtextextended('participant:' || ${sessionId} || ':' || u, 0))
    FROM (${everyLane(sessionId, "pg_advisory_xact_lock_shared")}) AS session,
         unnest(string_to_array(${userIds.join(",")}, ',')) AS u ORDER BY u`;
}

/**
 * Every participant lock of the session for one sweep lane: the lane's lock, exclusive. Joins and
 * leaves of the session wait for the transaction; the other lane's batch does not.
 */
export function lockSweepLane(tx: Prisma.TransactionClient, sessionId: string, lane: number) {
  return tx.$executeRaw`SELECT pg_advisory_xact_lock(${laneLock(sessionId, lane)})`;
}

/**
 * Every participant lock of the session, every lane's, exclusive, in lane order: no join, leave or
 * sweep batch moves the session's participants until the transaction ends (the reconcile job's
 * close). Taken before the session row (a join holds a lane lock while it waits for that row).
 */
export function lockAllParticipants(tx: Prisma.TransactionClient, sessionId: string) {
  return tx.$executeRaw(everyLane(sessionId, "pg_advisory_xact_lock"));
}

export async function activeParticipantCount(services: Pick<Services, "db">, sessionId: string): Promise<number> {
  return services.db.sessionParticipant.count({ where: { sessionId, leftAt: null } });
}

/** Where a page of participants starts: after this (joinedAt, userId), the list's order. */
interface ParticipantCursor {
  joinedAt: Date;
  userId: string;
}

/** Which active rows: some users', a page (after a cursor, at most `limit`), or all. */
type RowFilter = { userIds: string[] } | { after: ParticipantCursor | null; limit: number } | null;

async function participantRows(services: Pick<Services, "db">, sessionId: string, filter: RowFilter = null) {
  let where = Prisma.empty;
  let limit = Prisma.empty;
  if (filter && "userIds" in filter) where = Prisma.sql`AND p."userId" = ANY(${filter.userIds}::uuid[])`;
  else if (filter) {
    if (filter.after)
      where = Prisma.sql`AND (p."joinedAt", p."userId") > (${filter.after.joinedAt}, ${filter.after.userId}::uuid)`;
    limit = Prisma.sql`LIMIT ${filter.limit}`;
  }
  return services.db.$queryRaw<{ userId: string; name: string; joinedAt: Date; isInstructor: boolean }[]>`
    SELECT p."userId", u.name, p."joinedAt", (p."userId" = c."instructorId") AS "isInstructor"
    FROM "SessionParticipant" p
    JOIN "User" u ON u.id = p."userId"
    JOIN "LiveSession" s ON s.id = p."sessionId"
    JOIN "Course" c ON c.id = s."courseId"
    WHERE p."sessionId" = ${sessionId}::uuid AND p."leftAt" IS NULL ${where}
    ORDER BY p."joinedAt", p."userId" ${limit}`;
}

/** Rows with their users' open connections (tabs), from the users' own index entries. */
async function withConnections(
  services: ParticipantServices,
  sessionId: string,
  rows: Awaited<ReturnType<typeof participantRows>>,
): Promise<ParticipantView[]> {
  const counts = await connectionCountsOf(
    services,
    sessionId,
    rows.map((row) => row.userId),
  );
  return rows.map((row) => ({
    userId: row.userId,
    name: row.name,
    joinedAt: row.joinedAt.toISOString(),
    connections: counts.get(row.userId) ?? 0,
    isInstructor: row.isInstructor,
  }));
}

/** Every active participant (one per user) with their number of open connections: the stream's snapshot. */
export async function listParticipants(services: ParticipantServices, sessionId: string): Promise<ParticipantView[]> {
  return withConnections(services, sessionId, await participantRows(services, sessionId));
}

/** The most participants one page of `session.participants` holds, and its default size. */
export const PARTICIPANTS_PAGE_SIZE = 500;

/** A page's cursor travels as "joinedAt ms.userId": opaque to clients, checked on the way in. */
export const participantCursor = z
  .string()
  .regex(/^\d{1,15}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: "Invalid cursor." })
  .transform((value): ParticipantCursor => {
    const dot = value.indexOf(".");
    return { joinedAt: new Date(Number(value.slice(0, dot))), userId: value.slice(dot + 1) };
  });

export interface ParticipantsPage {
  items: ParticipantView[];
  /** Pass it back for the next page; null on the last one. */
  nextCursor: string | null;
}

/** session.participants — active participants in joining order (joinedAt, then user id), a page at a time. */
export async function participantsPage(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
  page: { cursor?: ParticipantCursor | undefined; limit?: number | undefined },
): Promise<ParticipantsPage> {
  await spendRoomBudget(services, "participants", user.id);
  await assertRoomAccess(services, user, sessionId);
  const limit = page.limit ?? PARTICIPANTS_PAGE_SIZE;
  // One more row than the page tells whether another page follows.
  const rows = await participantRows(services, sessionId, { after: page.cursor ?? null, limit: limit + 1 });
  const items = await withConnections(services, sessionId, rows.slice(0, limit));
  const last = rows.length > limit ? rows[limit - 1]! : null;
  return { items, nextCursor: last ? `${last.joinedAt.getTime()}.${last.userId}` : null };
}

/** session.participantCount — the active participants of a session, within the caller's budget. */
export async function participantCount(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
): Promise<{ count: number }> {
  await spendRoomBudget(services, "participantCount", user.id);
  await assertRoomAccess(services, user, sessionId);
  return { count: await activeParticipantCount(services, sessionId) };
}

/** Publishes a participant event with the next sequence number of the session. */
export function publishParticipantEvent(
  services: Pick<Services, "db" | "redis" | "keys" | "clock" | "events">,
  sessionId: string,
  event: UnnumberedParticipantEvent,
): Promise<void> {
  return publishParticipantEvents(services, sessionId, [event]);
}

/** The answer to a join of a user the instructor removed from the session (until they are let back in). */
export function removedByHost() {
  return appError("FORBIDDEN", Reason.REMOVED_BY_HOST, "The instructor removed you from this session.");
}

async function sessionMissingOrNotLive(services: Pick<Services, "db">, sessionId: string): Promise<never> {
  const session = await services.db.liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
  if (!session) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  throw appError(
    "PRECONDITION_FAILED",
    Reason.SESSION_NOT_LIVE,
    `This session is ${session.status.toLowerCase()}, not live.`,
  );
}

export interface JoinAnswer {
  joinedAt: Date;
  connections: number;
  participantCount: number;
  heartbeatIntervalMs: number;
}

interface JoinRequest {
  services: ParticipantServices;
  userId: string;
  connectionId: string;
}

/** Most joins of one session committed together (one statement, one transaction, one Redis flush). */
export const MAX_JOIN_BATCH = 500;

const joinBatches = groupCommit<JoinRequest, JoinAnswer>({ maxBatch: MAX_JOIN_BATCH, run: runJoinBatch });

/**
 * session.join — idempotent: any number of tabs, retries or concurrent calls leave exactly one active
 * row per user, by one INSERT … ON CONFLICT against the partial unique index. The session row is
 * share-locked so a concurrent `end` either sees this row (and closes it) or makes this join fail.
 *
 * Joins come in storms (everyone opens the room when the session starts), so concurrent joins of a
 * session are group-committed (docs/decisions/012): a join that finds no join transaction of its
 * session in flight (in this process and services container) runs at once, alone; joins arriving
 * while one is in flight go together in the next transaction. Each caller still gets its own answer
 * and its own event, or the error a join of its own would have got.
 */
export async function join(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
  connectionId: string,
): Promise<JoinAnswer> {
  await spendRoomBudget(services, "join", user.id);
  return joinBatches.submit(services.db, sessionId, { services, userId: user.id, connectionId });
}

interface JoinedRow {
  /** Users of the batch the instructor removed from the session: they get no row. */
  removedUserIds: string[];
  /** Users of the batch without access to the course's rooms (docs/decisions/020): no row either. */
  notEnrolledUserIds: string[];
  /** The course's policy and instructor, for the words of a NOT_ENROLLED answer. */
  policy: EnrollmentPolicy;
  instructorName: string;
  userId: string | null;
  joinedAt: Date | null;
  inserted: boolean | null;
  name: string | null;
  isInstructor: boolean | null;
  participantCount: number;
}

function insertParticipants(tx: Prisma.TransactionClient, sessionId: string, userIds: string[], now: Date) {
  // One statement inserts (or finds) every row and reads what the answers and the events need:
  // names, whether a user is the course's instructor and the active count (seen from this
  // statement, so the batch's new rows are added). No row at all: the session is not live. A row
  // with no user: the session is live but none of these users exists. Users the instructor removed
  // get no row (read under their participant locks, which a removal holds while it writes), and
  // neither do users without access (hasRoomAccess: an admin, the instructor, or enrolled). The
  // enrollments are read FOR SHARE, so an unenroll's DELETE waits for this join and a join after
  // it sees none (enrollment.ts). Joining a session of an OPEN course enrolls (source JOINED).
  return tx.$queryRaw<JoinedRow[]>`
    WITH live AS (
      SELECT s.id, c.id AS "courseId", c."instructorId", c."enrollmentPolicy" AS policy, i.name AS "instructorName"
      FROM "LiveSession" s JOIN "Course" c ON c.id = s."courseId" JOIN "User" i ON i.id = c."instructorId"
      WHERE s.id = ${sessionId}::uuid AND s.status = 'LIVE' FOR SHARE OF s
    ), removed AS (
      SELECT r."userId" FROM "SessionRemoval" r
      WHERE r."sessionId" = ${sessionId}::uuid AND r."userId" = ANY(${userIds}::uuid[])
    ), wanted AS (
      SELECT u.id, u.role FROM unnest(${userIds}::uuid[]) AS w(id) JOIN "User" u ON u.id = w.id
      WHERE u.id NOT IN (SELECT "userId" FROM removed)
    ), enrolled AS (
      SELECT e."userId" FROM "Enrollment" e JOIN live ON e."courseId" = live."courseId"
      WHERE e."userId" = ANY(${userIds}::uuid[]) FOR SHARE OF e
    ), allowed AS (
      SELECT wanted.id, (live.policy = 'OPEN' AND wanted.role <> 'ADMIN' AND wanted.id <> live."instructorId"
                         AND wanted.id NOT IN (SELECT "userId" FROM enrolled)) AS enrolls
      FROM wanted CROSS JOIN live
      WHERE wanted.role = 'ADMIN' OR wanted.id = live."instructorId" OR live.policy = 'OPEN'
         OR wanted.id IN (SELECT "userId" FROM enrolled)
    ), enrolling AS (
      INSERT INTO "Enrollment" ("courseId", "userId", source, "enrolledAt")
      SELECT live."courseId", allowed.id, 'JOINED', ${now} FROM allowed CROSS JOIN live WHERE allowed.enrolls
      ORDER BY allowed.id
      ON CONFLICT ("courseId", "userId") DO NOTHING
    ), joined AS (
      INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
      SELECT live.id, allowed.id, ${now}, ${now}
      FROM live CROSS JOIN allowed
      ON CONFLICT ("sessionId", "userId") WHERE "leftAt" IS NULL
      DO UPDATE SET "lastSeenAt" = EXCLUDED."lastSeenAt"
      RETURNING "userId", "joinedAt", (xmax = 0) AS inserted
    ), counted AS (
      SELECT ((SELECT count(*) FROM "SessionParticipant" p WHERE p."sessionId" = ${sessionId}::uuid AND p."leftAt" IS NULL)
              + (SELECT count(*) FROM joined WHERE joined.inserted))::int AS n
    )
    SELECT j."userId", j."joinedAt", j.inserted, j.name, (j."userId" = live."instructorId") AS "isInstructor", counted.n AS "participantCount",
           ARRAY(SELECT "userId"::text FROM removed) AS "removedUserIds",
           ARRAY(SELECT id::text FROM wanted WHERE id NOT IN (SELECT id FROM allowed)) AS "notEnrolledUserIds",
           live.policy::text AS policy, live."instructorName"
    FROM live CROSS JOIN counted
    LEFT JOIN (SELECT joined.*, u.name FROM joined JOIN "User" u ON u.id = joined."userId") AS j ON true`;
}

async function runJoinBatch(
  sessionId: string,
  requests: JoinRequest[],
  release: () => void,
): Promise<Outcome<JoinAnswer>[]> {
  // Every request of a batch comes from the same services container (the queue is per container).
  const { services } = requests[0]!;
  const now = services.clock();
  // ON CONFLICT DO UPDATE cannot touch one row twice in a statement: two tabs of a user share a row.
  // Sorted: batches of two sessions of one open course enroll their users in the same order.
  const userIds = [...new Set(requests.map((request) => request.userId))].sort();
  const addAll = () =>
    Promise.all(
      requests.map((request) =>
        addConnection(services, sessionId, request.userId, request.connectionId, now.getTime()),
      ),
    );
  const undo = (some: JoinRequest[]) =>
    Promise.all(some.map((request) => removeConnection(services, sessionId, request.userId, request.connectionId)));

  const joined = await services.db.$transaction(async (tx) => {
    // Under the locks, Redis first, then the rows (as leave and the sweeps: docs/decisions/007).
    await lockParticipants(tx, sessionId, userIds);
    const connections = await addAll();
    let rows: JoinedRow[];
    try {
      rows = await insertParticipants(tx, sessionId, userIds, now);
    } catch (error) {
      // No row was written (a failed statement, a closed transaction): take the connections back
      // while the locks are held, so no tab heartbeats without a row.
      await undo(requests);
      throw error;
    }
    if (rows.length === 0) {
      await undo(requests);
      return null;
    }
    const byUser = new Map(rows.filter((row) => row.userId !== null).map((row) => [row.userId!, row]));
    const unknown = requests.filter((request) => !byUser.has(request.userId));
    if (unknown.length > 0) await undo(unknown);
    return {
      byUser,
      connections,
      participantCount: rows[0]!.participantCount,
      removed: new Set(rows[0]!.removedUserIds),
      notEnrolled: new Set(rows[0]!.notEnrolledUserIds),
      course: { policy: rows[0]!.policy, instructorName: rows[0]!.instructorName },
    };
  }, LOCK_WAIT);
  // Committed: the next batch of this session may start while this one answers.
  release();

  if (!joined) {
    presenceCounters.joins.inc({ outcome: "refused" }, requests.length);
    const error = await sessionMissingOrNotLive(services, sessionId).catch((caught: unknown) => caught);
    return requests.map(() => ({ ok: false, error: copyError(error) }));
  }

  // A user's tabs in one batch all answer the user's connections after the batch (the last count).
  const connectionsOf = new Map<string, number>();
  requests.forEach((request, i) => connectionsOf.set(request.userId, joined.connections[i]!));
  const { participantCount } = joined;
  const announced = new Set<string>();
  const events: UnnumberedParticipantEvent[] = [];
  const outcomes = requests.map((request): Outcome<JoinAnswer> => {
    if (joined.removed.has(request.userId)) {
      presenceCounters.joins.inc({ outcome: "refused" });
      return { ok: false, error: removedByHost() };
    }
    if (joined.notEnrolled.has(request.userId)) {
      presenceCounters.joins.inc({ outcome: "refused" });
      return { ok: false, error: notEnrolled(joined.course) };
    }
    const row = joined.byUser.get(request.userId);
    if (!row) return { ok: false, error: new Error(`join: user ${request.userId} does not exist`) };
    // The first tab of a new participant is its "joined"; every other answer is an update.
    const first = !announced.has(request.userId);
    announced.add(request.userId);
    const inserted = first && row.inserted === true;
    presenceCounters.joins.inc({ outcome: inserted ? "new_participant" : "another_tab_or_retry" });
    const connections = connectionsOf.get(request.userId)!;
    events.push({
      type: inserted ? "joined" : "updated",
      participant: {
        userId: request.userId,
        name: row.name!,
        joinedAt: row.joinedAt!.toISOString(),
        connections,
        isInstructor: row.isInstructor === true,
      },
      participantCount,
    });
    return {
      ok: true,
      value: {
        joinedAt: row.joinedAt!,
        connections,
        participantCount,
        heartbeatIntervalMs: services.config.timings.heartbeatIntervalMs,
      },
    };
  });
  await publishParticipantEvents(services, sessionId, events);
  // A user at the tab limit had their oldest tab replaced: its media right goes with it.
  if ([...connectionsOf.values()].some((count) => count >= services.config.maxTabsPerSession)) {
    mediaGrantsChanged(services, sessionId);
  }
  return outcomes;
}

/**
 * Publishes events of one session with consecutive sequence numbers, numbered and sent in one script
 * (room-log.ts): on the participant channel, and as one entry of the room stream.
 */
async function publishParticipantEvents(
  services: Pick<Services, "db" | "redis" | "keys" | "clock" | "events">,
  sessionId: string,
  events: UnnumberedParticipantEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await appendParticipantEvents(services, sessionId, events);
  // Whoever is no longer in the room has no hand up.
  const leavers = events.flatMap((event) => (event.type === "left" ? event.userIds : []));
  if (leavers.length > 0) await lowerHandsOfLeavers(services, sessionId, leavers);
}

/** Each caller of a refused batch gets its own copy of the refusal (same code, reason and message). */
function copyError(error: unknown): unknown {
  return error instanceof TRPCError
    ? appError(error.code, reasonOf(error), error.message, { retryAfterMs: retryAfterOf(error) })
    : error;
}

export type HeartbeatAnswer =
  | { status: "ok" | "rejoin" | "left"; heartbeatIntervalMs: number }
  | { status: "replaced"; reason: typeof Reason.TOO_MANY_TABS; heartbeatIntervalMs: number }
  | { status: "removed"; reason: typeof Reason.REMOVED_BY_HOST; heartbeatIntervalMs: number };

/**
 * session.heartbeat — Redis only, one script call (the connection's budget and the touch). "rejoin"
 * when the server no longer knows this connection; "replaced" when a newer tab of the user took its
 * place, "left" when the user left the session everywhere, "removed" when the instructor removed
 * them (in those three the tab stops instead of joining back); 429 RATE_LIMITED past the budget.
 */
export async function heartbeat(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
  connectionId: string,
): Promise<HeartbeatAnswer> {
  const answer = await touchConnection(services, sessionId, user.id, connectionId, services.clock().getTime());
  const heartbeatIntervalMs = services.config.timings.heartbeatIntervalMs;
  switch (answer) {
    case TOUCHED:
      presenceCounters.heartbeats.inc({ answer: "ok" });
      return { status: "ok", heartbeatIntervalMs };
    case UNKNOWN:
      presenceCounters.heartbeats.inc({ answer: "rejoin" });
      return { status: "rejoin", heartbeatIntervalMs };
    case REPLACED:
      presenceCounters.heartbeats.inc({ answer: "replaced" });
      return { status: "replaced", reason: Reason.TOO_MANY_TABS, heartbeatIntervalMs };
    case LEFT:
      presenceCounters.heartbeats.inc({ answer: "left" });
      return { status: "left", heartbeatIntervalMs };
    case REMOVED:
      presenceCounters.heartbeats.inc({ answer: "removed" });
      return { status: "removed", reason: Reason.REMOVED_BY_HOST, heartbeatIntervalMs };
    default:
      presenceCounters.heartbeats.inc({ answer: "rate_limited" });
      throw roomRateLimited(answer);
  }
}

export async function closeRow(
  tx: Prisma.TransactionClient,
  sessionId: string,
  userId: string,
  reason: LeaveReasonValue,
  at: Date,
): Promise<boolean> {
  const closed = await tx.sessionParticipant.updateMany({
    where: { sessionId, userId, leftAt: null },
    data: { leftAt: at, lastSeenAt: at, leaveReason: reason },
  });
  presenceCounters.leaves.inc({ reason }, closed.count);
  return closed.count > 0;
}

/**
 * session.leave — removes this connection; the row closes (LEFT) only when the user's last
 * connection is gone, so closing one tab never removes a user who still has another (a page being
 * hidden leaves this way). `everywhere` (the Leave button) removes all the user's connections in
 * the session and closes the row, and their other tabs' heartbeats answer "left". Repeatable.
 */
export async function leave(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
  connectionId: string,
  everywhere = false,
) {
  await spendRoomBudget(services, "leave", user.id);
  const now = services.clock();
  const outcome = await services.db.$transaction(async (tx) => {
    await lockParticipants(tx, sessionId, [user.id]);
    const remaining = everywhere
      ? (await removeUserRemembered(services, sessionId, user.id, "left", now.getTime()), 0)
      : await removeConnection(services, sessionId, user.id, connectionId);
    const closed = remaining === 0 ? await closeRow(tx, sessionId, user.id, "LEFT", now) : false;
    return { remaining, closed };
  }, LOCK_WAIT);
  mediaGrantsChanged(services, sessionId);
  const participantCount = await activeParticipantCount(services, sessionId);
  if (outcome.closed) {
    await publishParticipantEvent(services, sessionId, {
      type: "left",
      userIds: [user.id],
      reason: "LEFT",
      participantCount,
    });
  } else if (outcome.remaining > 0) {
    const [view] = await participantRows(services, sessionId, { userIds: [user.id] });
    if (view) {
      await publishParticipantEvent(services, sessionId, {
        type: "updated",
        participant: {
          userId: view.userId,
          name: view.name,
          joinedAt: view.joinedAt.toISOString(),
          connections: outcome.remaining,
          isInstructor: view.isInstructor,
        },
        participantCount,
      });
    }
  }
  return { left: outcome.closed, remainingConnections: outcome.remaining, participantCount };
}

/** Signing out leaves every connection of the user in every session. */
export async function leaveAllSessions(services: ParticipantServices, userId: string): Promise<number> {
  const active = await services.db.sessionParticipant.findMany({
    where: { userId, leftAt: null },
    select: { sessionId: true },
  });
  const now = services.clock();
  for (const { sessionId } of active) {
    const closed = await services.db.$transaction(async (tx) => {
      await lockParticipants(tx, sessionId, [userId]);
      await removeUser(services, sessionId, userId);
      return closeRow(tx, sessionId, userId, "LEFT", now);
    }, LOCK_WAIT);
    mediaGrantsChanged(services, sessionId);
    if (closed) {
      const participantCount = await activeParticipantCount(services, sessionId);
      await publishParticipantEvent(services, sessionId, {
        type: "left",
        userIds: [userId],
        reason: "LEFT",
        participantCount,
      });
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

export async function clearPresenceAndAnnounce(
  services: ParticipantServices,
  sessionId: string,
  status: "ENDED" | "CANCELLED",
): Promise<void> {
  await clearSession(services, sessionId);
  await publishParticipantEvent(services, sessionId, { type: "status", status, participantCount: 0 });
}

/** A stream's lifetime: the configured maximum ±10 %, so streams opened together end apart. */
export function streamLifetimeMs(services: Pick<Services, "config">): number {
  return Math.round(services.config.timings.streamMaxDurationMs * (0.9 + Math.random() * 0.2));
}

/** How long a refused stream's client should wait: other tabs' streams end at their own pace. */
const STREAM_LIMIT_RETRY_MS = 30_000;

/**
 * Admits one event stream of `user` on `sessionId` (session.onParticipants, session.onRoom): refused
 * before anything is held when the session does not exist, the user's stream budget is spent, they
 * have no access to the course (NOT_ENROLLED) or the host removed them, or when they hold MAX_STREAMS_PER_USER streams on this instance. Returns the
 * release of the stream's slot (idempotent): the caller releases it in a `finally`.
 */
export async function admitStream(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
): Promise<() => void> {
  // The session, the user's access to its course and their removal from it in one indexed read.
  const access = await readRoomAccess(services, user, sessionId);
  if (!access) throw sessionNotFound();
  // Every opening reads the whole room: budgeted like the list, and not for someone the host removed
  // or without access to the course (docs/decisions/020).
  await spendRoomBudget(services, "stream", user.id);
  if (access.removed) throw removedByHost();
  if (!access.allowed) throw notEnrolled(access);
  const releaseSlot = services.events.acquireStream(user.id, services.config.maxStreamsPerUser);
  if (!releaseSlot) {
    throw appError("TOO_MANY_REQUESTS", Reason.RATE_LIMITED, "Too many open rooms. Close a tab and try again.", {
      retryAfterMs: STREAM_LIMIT_RETRY_MS,
    });
  }
  return releaseSlot;
}

/** A stream's end: the client leaving (`signal`) or its lifetime running out; `clear()` in a `finally`. */
export function streamEnds(services: ParticipantServices, signal: AbortSignal | undefined) {
  const lifetime = new AbortController();
  const timer = setTimeout(() => lifetime.abort(), streamLifetimeMs(services));
  return {
    signal: signal ? AbortSignal.any([signal, lifetime.signal]) : lifetime.signal,
    clear: () => clearTimeout(timer),
  };
}

/**
 * Follows the user's sign-out notices (here or on another instance): `signal` aborts when one ends
 * this sign-in (`assertSignedIn` then throws its reason), and also when the notices can no longer be
 * followed (the event bus lost its connection: a notice may have been missed), so the stream ends
 * and is reopened, which checks the sign-in again. Subscribed before it returns; `close()` in a `finally`.
 */
export async function watchSignOut(services: ParticipantServices, user: SessionUser, ends: AbortSignal) {
  const signOut = new AbortController();
  let signedOut: SignOutNotice["reason"] | null = null;
  const notices: EventSubscription<SignOutNotice> = await services.events.subscribe<SignOutNotice>(
    signOutChannel(user.id),
    ends,
  );
  void (async () => {
    try {
      for await (const notice of notices) {
        if (!endsSignIn(notice, user.familyId)) continue;
        signedOut = notice.reason;
        return;
      }
    } finally {
      signOut.abort();
    }
  })().catch(() => undefined);
  return {
    signal: signOut.signal,
    close: () => notices.close(),
    /** Throws UNAUTHORIZED with the notice's reason when a notice ended the sign-in. */
    assertSignedIn: () => {
      if (signedOut) throw appError("UNAUTHORIZED", signedOut, "You have been signed out. Sign in again.");
    },
  };
}

/**
 * session.onParticipants — a snapshot on every (re)connect, then the deltas after it, until the
 * client goes away or the stream's lifetime ends (the client then re-subscribes for a fresh
 * snapshot). Everything it holds (the user's stream slot, the channel) is released in `finally`,
 * whether it fails before the snapshot, after it, or the client leaves at any point.
 */
export async function* participantEvents(
  services: ParticipantServices,
  user: SessionUser,
  sessionId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<ParticipantEvent> {
  const releaseSlot = await admitStream(services, user, sessionId);
  const ends = streamEnds(services, signal);
  let deltas: EventSubscription<ParticipantEvent> | undefined;
  let signOut: Awaited<ReturnType<typeof watchSignOut>> | undefined;
  try {
    // This sign-in ending (here or on another instance) ends the stream with its reason.
    signOut = await watchSignOut(services, user, ends.signal);
    // Subscribe before reading the snapshot, so no delta published in between is lost.
    deltas = await services.events.subscribe<ParticipantEvent>(
      participantsChannel(sessionId),
      AbortSignal.any([ends.signal, signOut.signal]),
    );
    const snapshot = await participantSnapshot(services, sessionId);
    yield snapshot;
    for await (const event of deltas) {
      // Deltas up to the snapshot's sequence are already part of it.
      if (event.seq > snapshot.seq) yield event;
      assertStillEnrolled(event, user.id);
    }
    signOut.assertSignedIn();
  } finally {
    ends.clear();
    deltas?.close();
    signOut?.close();
    releaseSlot();
  }
}

/**
 * A stream ends (403 NOT_ENROLLED) when its user is taken out of the course: the `left` event of
 * their unenrolling is the last thing it sends them. Opening it again is refused at admission.
 */
export function assertStillEnrolled(event: ParticipantEvent, userId: string): void {
  if (event.type === "left" && event.reason === "UNENROLLED" && event.userIds.includes(userId)) {
    throw notEnrolledAnymore();
  }
}

/** How a stream ends when its user is taken out of the course. */
export function notEnrolledAnymore() {
  return appError("FORBIDDEN", Reason.NOT_ENROLLED, "You're no longer enrolled in this course.");
}

/** The participant side of a snapshot: the sequence first, then the status and the list (so no delta is missed). */
export async function participantSnapshot(
  services: ParticipantServices,
  sessionId: string,
): Promise<Extract<ParticipantEvent, { type: "snapshot" }>> {
  const seq = Number((await services.redis.get(services.keys.participantEventSeq(sessionId))) ?? 0);
  const session = await services.db.liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
  if (!session) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  const participants = await listParticipants(services, sessionId);
  return {
    type: "snapshot",
    seq,
    status: session.status,
    participants,
    participantCount: participants.length,
    media: await readMediaState(services, sessionId),
  };
}
