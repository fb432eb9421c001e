import type { Services } from "../context";
import { presenceCounters } from "../metrics";
import type { LeaveReasonValue } from "./participant-events";
import { mediaGrantsChanged } from "./media-access";
import {
  SESSION_SWEEP_LANES,
  activeParticipantCount,
  lockAllParticipants,
  lockParticipants,
  publishParticipantEvent,
} from "./participants";
import {
  clearSession,
  ensurePresenceBuilt,
  removeStaleConnections,
  removeUser,
  scanConnections,
  sessionsWithPresence,
  usersWithConnections,
} from "./presence";

type ReconcileServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

/** Rows or connections handled per statement/transaction, so no job holds long locks or loads a table. */
const RECONCILE_BATCH = 1_000;

function batches<T>(items: T[], size = RECONCILE_BATCH): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** A user of the batch has a connection again: the batch is closed again without them. */
class RejoinedMeanwhile extends Error {
  constructor(readonly connected: Set<string>) {
    super("rejoined during the sweep");
  }
}

/**
 * Closes the active rows of `userIds` whose users, checked again under the session's participant
 * lock, still have no connection — so a tab that re-joins while the sweep runs keeps its row. One
 * transaction: every participant lock of the session for sweep lane `lane` (lockAllParticipants), then the re-check in
 * Redis beside the UPDATE — while the lock is held no tab can join, so the connections the re-check
 * reads cannot change under it. When it finds one (someone re-joined after the connections were
 * removed: rare), the transaction is rolled back and the batch closed again without them.
 * lastSeenAt becomes the later of the row's and `lastSeen[i]` (ms; null keeps the row's). Returns
 * the users whose rows were closed.
 *
 * The ids travel as one comma-separated parameter (UUIDs) and the closed ones come back as one
 * string: a batch is three parameters and one value, not thousands of array elements each way.
 */
async function closeDisconnected(
  services: ReconcileServices,
  sessionId: string,
  lane: number,
  userIds: string[],
  lastSeen: (number | null)[],
  reason: LeaveReasonValue,
  now: Date,
): Promise<string[]> {
  if (userIds.length === 0) return [];
  let closed: string[];
  try {
    closed = await services.db.$transaction(
      async (tx) => {
        // The UPDATE below is one index probe per user: a hash join would scan every row of the
        // session for every batch (switched off for this transaction only).
        await tx.$executeRaw`SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`;
        await lockAllParticipants(tx, sessionId, lane);
        // Only these users are looked up (the presence index), not the whole session: O(batch).
        const [connected, [row]] = await Promise.all([
          usersWithConnections(services, sessionId, userIds),
          tx.$queryRaw<{ closed: string | null }[]>`
            WITH closed AS (
              UPDATE "SessionParticipant" AS p
              SET "leftAt" = ${now}, "leaveReason" = ${reason}::"LeaveReason",
                  "lastSeenAt" = GREATEST(p."lastSeenAt", COALESCE(to_timestamp(v.seen / 1000), p."lastSeenAt"))
              FROM unnest(string_to_array(${userIds.join(",")}, ',')::uuid[], string_to_array(${lastSeen.map((at) => at ?? "").join(",")}, ',', '')::float8[]) AS v(uid, seen)
              WHERE p."sessionId" = ${sessionId}::uuid AND p."userId" = v.uid AND p."leftAt" IS NULL
              RETURNING p."userId"
            )
            SELECT string_agg("userId"::text, ',') AS closed FROM closed`,
        ]);

        if (connected.size > 0) throw new RejoinedMeanwhile(connected);
        return row?.closed ? row.closed.split(",") : [];
      },
      { maxWait: 30_000, timeout: 60_000 },
    );
  } catch (error) {
    if (!(error instanceof RejoinedMeanwhile)) throw error;
    const keep = (_: unknown, i: number) => !error.connected.has(userIds[i]!);
    return closeDisconnected(services, sessionId, lane, userIds.filter(keep), lastSeen.filter(keep), reason, now);
  }
  presenceCounters.leaves.inc({ reason }, closed.length);
  return closed;
}

async function announceLeft(
  services: ReconcileServices,
  sessionId: string,
  userIds: string[],
  reason: LeaveReasonValue,
) {
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
   * connection are closed — the window a re-join must survive (closeDisconnected re-checks under the
   * participant locks). Lets tests and diagnostics observe the gap; production passes none.
   */
  beforeClose?: (sessionId: string, userIds: string[]) => Promise<void>;
}

/**
 * Connections one Redis script call of the sweep removes, and so at most the rows of one of its
 * Postgres transactions — which the session's joins and leaves wait for (docs/performance.md).
 */
export const EVICTION_BATCH = 10_000;

/**
 * Batches of one session swept at once, each removing then closing its own: while one batch's rows
 * are closed in Postgres, the other's connections are removed from Redis. A crash leaves at most
 * EVICTION_BATCH × EVICTION_LANES rows whose connections were removed but not yet closed
 * (participants.dedupe closes them).
 */
export const EVICTION_LANES = SESSION_SWEEP_LANES;

/**
 * heartbeats.evict — removes connections silent for longer than the presence timeout (atomically,
 * only if still stale), closes the rows left with no connection (TIMEOUT, lastSeenAt from Redis),
 * and publishes one event per session. Presence is rebuilt first if Redis lost it.
 *
 * A session is swept by EVICTION_LANES lanes at once, each repeating: remove a batch of stale
 * connections (one Redis script, atomic), then close the rows of the users it left with none (one
 * transaction that re-checks them under the session's lock, so a re-join since the removal keeps its row).
 * The lanes' batches are disjoint, and one lane's Redis removal overlaps the other's Postgres close.
 */
export async function evictStaleConnections(
  services: ReconcileServices,
  options: EvictionOptions = {},
): Promise<EvictionCounts> {
  const presenceRestored = await ensurePresenceBuilt(services);
  const cutoff = services.clock().getTime() - services.config.timings.presenceTimeoutMs;
  const counts: EvictionCounts = { presenceRestored, connectionsEvicted: 0, participantsTimedOut: 0, sessions: 0 };
  for (const sessionId of await sessionsWithPresence(services)) {
    const timedOut: string[] = [];
    const evictedBefore = counts.connectionsEvicted;
    let exhausted = false;
    const lanes: Promise<void>[] = [];
    // One batch: remove, then close. False once no stale connection is left.
    const sweepBatch = async (lane: number): Promise<boolean> => {
      const { removed, userIds, lastSeen } = await removeStaleConnections(services, sessionId, cutoff, EVICTION_BATCH);
      counts.connectionsEvicted += removed;
      if (removed < EVICTION_BATCH) exhausted = true;
      // A full batch: more are likely, so the other lanes start now, beside this batch's close. Most
      // sessions have a few stale connections or none, and one lane.
      else while (lanes.length < EVICTION_LANES) lanes.push(sweepLane(lanes.length));
      if (userIds.length > 0) {
        await options.beforeClose?.(sessionId, userIds);
        timedOut.push(
          ...(await closeDisconnected(services, sessionId, lane, userIds, lastSeen, "TIMEOUT", services.clock())),
        );
      }
      return !exhausted;
    };
    const sweepLane = async (lane: number) => {
      try {
        while (!exhausted && (await sweepBatch(lane)));
      } catch (error) {
        exhausted = true; // the other lanes stop after their current batch
        throw error;
      }
    };
    lanes.push(sweepLane(0));
    // Lanes start only while another runs, so once the first has settled every lane is in the list.
    await lanes[0]!.catch(() => undefined);
    await settleAll(lanes);
    if (timedOut.length > 0) counts.sessions++;
    if (counts.connectionsEvicted > evictedBefore) mediaGrantsChanged(services, sessionId);
    counts.participantsTimedOut += timedOut.length;
    await announceLeft(services, sessionId, timedOut, "TIMEOUT");
  }
  return counts;
}

/** Waits for every promise, then rejects with the first failure if any: nothing is left running. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
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
export async function reconcileParticipants(
  services: ReconcileServices,
  options: { sessionId?: string } = {},
): Promise<ReconcileCounts> {
  const presenceRestored = await ensurePresenceBuilt(services);
  const counts: ReconcileCounts = {
    presenceRestored,
    duplicatesClosed: 0,
    endedSessionRowsClosed: 0,
    disconnectedRowsClosed: 0,
    orphanConnectionsDropped: 0,
    sessions: 0,
  };
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
      services.db.sessionParticipant.findMany({
        where: { sessionId, leftAt: null },
        select: { userId: true, lastSeenAt: true },
      }),
      scanConnections(services, sessionId),
    ]);
    const staleBefore = now.getTime() - services.config.timings.presenceTimeoutMs;
    const disconnected = rows
      .filter((row) => !connections.has(row.userId) && row.lastSeenAt.getTime() < staleBefore)
      .map((row) => row.userId);
    const closedUsers: string[] = [];
    for (const users of batches(disconnected)) {
      closedUsers.push(
        ...(await closeDisconnected(
          services,
          sessionId,
          0,
          users,
          users.map(() => null),
          "TIMEOUT",
          now,
        )),
      );
    }
    counts.disconnectedRowsClosed += closedUsers.length;
    await announceLeft(services, sessionId, closedUsers, "TIMEOUT");

    const activeUsers = new Set(rows.map((row) => row.userId));
    const orphans = [...connections.keys()].filter((userId) => !activeUsers.has(userId));
    counts.orphanConnectionsDropped += await dropOrphanConnections(services, sessionId, orphans, connections);
  }
  return counts;
}

/**
 * Removes the connections of users with no active row, re-checked under their participant locks:
 * those in their index and those the scan found (`scanned`).
 */
async function dropOrphanConnections(
  services: ReconcileServices,
  sessionId: string,
  userIds: string[],
  scanned: Map<string, string[]>,
): Promise<number> {
  let dropped = 0;
  for (const users of batches([...userIds].sort())) {
    dropped += await services.db.$transaction(
      async (tx) => {
        await lockParticipants(tx, sessionId, users);
        const active = await tx.sessionParticipant.findMany({
          where: { sessionId, leftAt: null, userId: { in: users } },
          select: { userId: true },
        });
        const stillOrphaned = users.filter((userId) => !active.some((row) => row.userId === userId));
        let removed = 0;
        for (const userId of stillOrphaned)
          removed += await removeUser(services, sessionId, userId, scanned.get(userId) ?? []);
        return removed;
      },
      { maxWait: 30_000, timeout: 60_000 },
    );
  }
  return dropped;
}

/** Sessions with active rows or with presence in Redis. */
async function sessionsToReconcile(services: ReconcileServices): Promise<string[]> {
  const withRows = await services.db.sessionParticipant.findMany({
    where: { leftAt: null },
    select: { sessionId: true },
    distinct: ["sessionId"],
  });
  return [...new Set([...withRows.map((row) => row.sessionId), ...(await sessionsWithPresence(services))])];
}
