import type { Services } from "../context";
import { presenceCounters } from "../metrics";
import type { LeaveReasonValue } from "./participant-events";
import { activeParticipantCount, publishParticipantEvent } from "./participants";
import { clearSession, connectionCounts, ensurePresenceBuilt, removeStaleConnections, removeUser, sessionsWithPresence, usersWithConnections } from "./presence";

type ReconcileServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events">;

/** Rows or connections handled per statement/transaction, so no job holds long locks or loads a table. */
export const RECONCILE_BATCH = 1_000;

function batches<T>(items: T[], size = RECONCILE_BATCH): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/**
 * Closes the active rows of users who, checked again under their participant locks, still have no
 * connection — so a tab that re-joins while the sweep runs keeps its row. Returns the users closed.
 */
async function closeRowsWithoutConnections(
  services: ReconcileServices,
  sessionId: string,
  lastSeenByUser: Map<string, number | null>,
  reason: LeaveReasonValue,
): Promise<string[]> {
  const closedUsers: string[] = [];
  const now = services.clock();
  for (const users of batches([...lastSeenByUser.keys()].sort())) {
    const closed = await services.db.$transaction(
      async (tx) => {
        // The same lock keys as join/leave (participants.ts), taken in a fixed order: no deadlocks.
        // The UPDATE below is one index probe per user: a hash join would scan every row of the
        // session for every batch (set here, for this transaction only, in the same round trip).
        await tx.$executeRaw`
          SELECT pg_advisory_xact_lock(hashtextextended('participant:' || ${sessionId} || ':' || u, 0))
          FROM (SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)) AS planner,
               unnest(${users}::text[]) AS u ORDER BY u`;
        // Only this batch's users are looked up (the presence index), not the whole session: a
        // sweep of N connections stays O(N), not O(N²).
        const connected = await usersWithConnections(services, sessionId, users);
        const disconnected = users.filter((userId) => !connected.has(userId));
        if (disconnected.length === 0) return [];
        const lastSeen = disconnected.map((userId) => {
          const at = lastSeenByUser.get(userId);
          return at == null ? null : new Date(at).toISOString();
        });
        const rows = await tx.$queryRaw<{ userId: string }[]>`
          UPDATE "SessionParticipant" AS p
          SET "leftAt" = ${now}, "leaveReason" = ${reason}::"LeaveReason",
              "lastSeenAt" = GREATEST(p."lastSeenAt", COALESCE(v.seen::timestamptz, p."lastSeenAt"))
          FROM unnest(${disconnected}::uuid[], ${lastSeen}::text[]) AS v(uid, seen)
          WHERE p."sessionId" = ${sessionId}::uuid AND p."userId" = v.uid AND p."leftAt" IS NULL
          RETURNING p."userId"`;
        return rows.map((row) => row.userId);
      },
      { maxWait: 30_000, timeout: 60_000 },
    );
    closedUsers.push(...closed);
  }
  presenceCounters.leaves.inc({ reason }, closedUsers.length);
  return closedUsers;
}

async function announceLeft(services: ReconcileServices, sessionId: string, userIds: string[], reason: LeaveReasonValue) {
  if (userIds.length === 0) return;
  const participantCount = await activeParticipantCount(services, sessionId);
  // One batched event per session and sweep, however many left.
  await publishParticipantEvent(services, sessionId, { type: "left", userIds, reason, participantCount });
}

export interface EvictionCounts {
  presenceRestored: number;
  connectionsEvicted: number;
  participantsTimedOut: number;
  sessions: number;
}

export interface EvictionOptions {
  /**
   * Called after a batch of connections was removed from Redis and before the rows left without a
   * connection are closed — the window a re-join must survive (closeRowsWithoutConnections re-checks
   * under the participant locks). Lets tests and diagnostics observe the gap; production passes none.
   */
  beforeClose?: (sessionId: string, userIds: string[]) => Promise<void>;
}

/**
 * heartbeats.evict — removes connections silent for longer than the presence timeout (atomically,
 * only if still stale), closes the rows left with no connection (TIMEOUT, lastSeenAt from Redis),
 * and publishes one event per session. Presence is rebuilt first if Redis lost it.
 */
export async function evictStaleConnections(services: ReconcileServices, options: EvictionOptions = {}): Promise<EvictionCounts> {
  const presenceRestored = await ensurePresenceBuilt(services);
  const cutoff = services.clock().getTime() - services.config.timings.presenceTimeoutMs;
  const counts: EvictionCounts = { presenceRestored, connectionsEvicted: 0, participantsTimedOut: 0, sessions: 0 };
  for (const sessionId of await sessionsWithPresence(services)) {
    const timedOut: string[] = [];
    for (;;) {
      const removed = await removeStaleConnections(services, sessionId, cutoff, RECONCILE_BATCH);
      if (removed.length === 0) break;
      counts.connectionsEvicted += removed.length;
      const lastSeenByUser = new Map<string, number | null>();
      for (const { userId, lastSeen } of removed) lastSeenByUser.set(userId, Math.max(lastSeen, lastSeenByUser.get(userId) ?? 0));
      await options.beforeClose?.(sessionId, [...lastSeenByUser.keys()]);
      timedOut.push(...(await closeRowsWithoutConnections(services, sessionId, lastSeenByUser, "TIMEOUT")));
      if (removed.length < RECONCILE_BATCH) break;
    }
    if (timedOut.length > 0) counts.sessions++;
    counts.participantsTimedOut += timedOut.length;
    await announceLeft(services, sessionId, timedOut, "TIMEOUT");
  }
  return counts;
}

export interface ReconcileCounts {
  presenceRestored: number;
  duplicatesClosed: number;
  endedSessionRowsClosed: number;
  disconnectedRowsClosed: number;
  orphanConnectionsDropped: number;
  sessions: number;
}

/**
 * participants.dedupe / session.cleanupParticipants — reconciles Postgres and Redis: closes extra
 * active rows per (session, user) keeping the earliest (legacy data), closes rows of sessions that
 * are no longer live, closes active rows with no connection that are older than the timeout, and
 * drops connections with no active row. Each count is the drift found. Idempotent.
 */
export async function reconcileParticipants(services: ReconcileServices, options: { sessionId?: string } = {}): Promise<ReconcileCounts> {
  const presenceRestored = await ensurePresenceBuilt(services);
  const counts: ReconcileCounts = { presenceRestored, duplicatesClosed: 0, endedSessionRowsClosed: 0, disconnectedRowsClosed: 0, orphanConnectionsDropped: 0, sessions: 0 };
  const sessionIds = options.sessionId ? [options.sessionId] : await sessionsToReconcile(services);
  for (const sessionId of sessionIds) {
    counts.sessions++;
    const now = services.clock();

    const duplicates = await services.db.$executeRaw`
      UPDATE "SessionParticipant" AS p SET "leftAt" = ${now}, "leaveReason" = 'DUPLICATE'
      FROM (
        SELECT id, row_number() OVER (PARTITION BY "userId" ORDER BY "joinedAt", id) AS position
        FROM "SessionParticipant" WHERE "sessionId" = ${sessionId}::uuid AND "leftAt" IS NULL
      ) AS ranked
      WHERE p.id = ranked.id AND ranked.position > 1`;
    counts.duplicatesClosed += duplicates;
    presenceCounters.leaves.inc({ reason: "DUPLICATE" }, duplicates);

    const session = await services.db.liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
    if (session?.status !== "LIVE") {
      const closed = await services.db.sessionParticipant.updateMany({
        where: { sessionId, leftAt: null },
        data: { leftAt: now, lastSeenAt: now, leaveReason: "ENDED" },
      });
      counts.endedSessionRowsClosed += closed.count;
      presenceCounters.leaves.inc({ reason: "ENDED" }, closed.count);
      counts.orphanConnectionsDropped += await services.redis.zcard(services.keys.presence(sessionId));
      await clearSession(services, sessionId);
      continue;
    }

    const [rows, connections] = await Promise.all([
      services.db.sessionParticipant.findMany({ where: { sessionId, leftAt: null }, select: { userId: true, lastSeenAt: true } }),
      connectionCounts(services, sessionId),
    ]);
    const staleBefore = now.getTime() - services.config.timings.presenceTimeoutMs;
    const disconnected = new Map<string, number | null>(
      rows.filter((row) => !connections.has(row.userId) && row.lastSeenAt.getTime() < staleBefore).map((row) => [row.userId, null]),
    );
    const closedUsers = await closeRowsWithoutConnections(services, sessionId, disconnected, "TIMEOUT");
    counts.disconnectedRowsClosed += closedUsers.length;
    await announceLeft(services, sessionId, closedUsers, "TIMEOUT");

    const activeUsers = new Set(rows.map((row) => row.userId));
    const orphans = [...connections.keys()].filter((userId) => !activeUsers.has(userId));
    counts.orphanConnectionsDropped += await dropOrphanConnections(services, sessionId, orphans);
  }
  return counts;
}

/** Removes the connections of users with no active row, re-checked under their participant locks. */
async function dropOrphanConnections(services: ReconcileServices, sessionId: string, userIds: string[]): Promise<number> {
  let dropped = 0;
  for (const users of batches([...userIds].sort())) {
    dropped += await services.db.$transaction(
      async (tx) => {
        await tx.$executeRaw`
          SELECT pg_advisory_xact_lock(hashtextextended('participant:' || ${sessionId} || ':' || u, 0))
          FROM unnest(${users}::text[]) AS u ORDER BY u`;
        const active = await tx.sessionParticipant.findMany({ where: { sessionId, leftAt: null, userId: { in: users } }, select: { userId: true } });
        const stillOrphaned = users.filter((userId) => !active.some((row) => row.userId === userId));
        let removed = 0;
        for (const userId of stillOrphaned) removed += await removeUser(services, sessionId, userId);
        return removed;
      },
      { maxWait: 30_000, timeout: 60_000 },
    );
  }
  return dropped;
}

/** Sessions with active rows or with presence in Redis. */
async function sessionsToReconcile(services: ReconcileServices): Promise<string[]> {
  const withRows = await services.db.sessionParticipant.findMany({ where: { leftAt: null }, select: { sessionId: true }, distinct: ["sessionId"] });
  return [...new Set([...withRows.map((row) => row.sessionId), ...(await sessionsWithPresence(services))])];
}
