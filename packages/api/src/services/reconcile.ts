import type { Prisma } from "@livehall/db";
import type { Services } from "../context";
import { presenceCounters } from "../metrics";
import type { LeaveReasonValue } from "./participant-events";
import { mediaGrantsChanged } from "./media-access";
import {
  SESSION_SWEEP_LANES,
  activeParticipantCount,
  lockAllParticipants,
  lockParticipants,
  lockSweepLane,
  publishParticipantEvent,
} from "./participants";
import {
  clearSession,
  ensurePresenceBuilt,
  removeStaleConnections,
  removeUser,
  type StaleRemoval,
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

/** A user of the batch has a connection again: the batch is closed again, re-checked first. */
class RejoinedMeanwhile extends Error {}

/** Takes the participant locks a close needs: one sweep lane's, or every lane's (the reconcile job). */
type CloseLock = (tx: Prisma.TransactionClient) => Promise<unknown>;

/**
 * Closes the active rows of `userIds` whose users, checked again under `lock`, still have no
 * connection — so a tab that re-joins while the sweep runs keeps its row. One transaction: the lock
 * (joins and leaves of the session wait for it), then the re-check in Redis beside the UPDATE —
 * while the lock is held no tab can join, so the connections the re-check reads cannot change under
 * it. When it finds one (someone re-joined after the connections were removed: rare), the
 * transaction is rolled back and the batch closed again without them, re-checked first this time,
 * so it ends there. lastSeenAt becomes the later of the row's and `lastSeen[i]` (ms; null keeps the
 * row's). Returns the users whose rows were closed.
 *
 * The ids and times travel as comma-separated parameters and the closed ones come back as one
 * string, not arrays of thousands of elements each way.
 */
async function closeDisconnected(
  services: ReconcileServices,
  sessionId: string,
  lock: CloseLock,
  userIds: string[],
  lastSeen: (number | null)[],
  reason: LeaveReasonValue,
  now: Date,
  overlap = true,
): Promise<string[]> {
  if (userIds.length === 0) return [];
  let closed: string[];
  try {
    closed = await services.db.$transaction(
      async (tx) => {
        // The UPDATE below is one index probe per user: a hash join would scan every row of the
        // session for every batch (switched off for this transaction only).
        await tx.$executeRaw`SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`;
        await lock(tx);
        // As a join does: an `end` of the session (which closes every row) waits for this batch, or
        // this batch for it, instead of two UPDATEs of the same rows in different orders deadlocking.
        await tx.$executeRaw`SELECT 1 FROM "LiveSession" WHERE id = ${sessionId}::uuid FOR SHARE`;
        const close = (users: string[], seen: (number | null)[]) => tx.$queryRaw<{ closed: string | null }[]>`
          WITH closed AS (
            UPDATE "SessionParticipant" AS p
            SET "leftAt" = ${now}, "leaveReason" = ${reason}::"LeaveReason",
                "lastSeenAt" = GREATEST(p."lastSeenAt", COALESCE(to_timestamp(v.seen / 1000), p."lastSeenAt"))
            FROM unnest(string_to_array(${users.join(",")}, ',')::uuid[], string_to_array(${seen.map((at) => at ?? "").join(",")}, ',', '')::float8[]) AS v(uid, seen)
            WHERE p."sessionId" = ${sessionId}::uuid AND p."userId" = v.uid AND p."leftAt" IS NULL
            RETURNING p."userId"
          )
          SELECT string_agg("userId"::text, ',') AS closed FROM closed`;
        let row: { closed: string | null } | undefined;
        if (overlap) {
          const [connected, rows] = await Promise.all([
            stillConnected(services, sessionId, userIds),
            close(userIds, lastSeen),
          ]);
          if (connected.size > 0) throw new RejoinedMeanwhile("a user re-joined during the sweep");
          row = rows[0];
        } else {
          const connected = await stillConnected(services, sessionId, userIds);
          const keep = (_: unknown, i: number) => !connected.has(userIds[i]!);
          const users = userIds.filter(keep);
          if (users.length === 0) return [];
          row = (await close(users, lastSeen.filter(keep)))[0];
        }
        return row?.closed ? row.closed.split(",") : [];
      },
      { maxWait: 30_000, timeout: 60_000 },
    );
  } catch (error) {
    if (!(error instanceof RejoinedMeanwhile)) throw error;
    return closeDisconnected(services, sessionId, lock, userIds, lastSeen, reason, now, false);
  }
  presenceCounters.leaves.inc({ reason }, closed.length);
  return closed;
}

/**
 * Which of `userIds` have a connection again: their index entries only (O(batch)), read in script
 * calls of REDIS_CHUNK users one after another, so no call holds Redis up for everyone's heartbeats.
 */
async function stillConnected(services: ReconcileServices, sessionId: string, userIds: string[]): Promise<Set<string>> {
  const connected = new Set<string>();
  for (const chunk of batches(userIds, REDIS_CHUNK))
    for (const userId of await usersWithConnections(services, sessionId, chunk)) connected.add(userId);
  return connected;
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
   * lane's lock). Lets tests and diagnostics observe the gap; production passes none.
   */
  beforeClose?: (sessionId: string, userIds: string[]) => Promise<void>;
}

/**
 * Connections one batch of the sweep removes, and so at most the rows of one of its Postgres
 * transactions, which the session's joins and leaves wait for (0.1–0.2 s here; docs/performance.md).
 */
export const EVICTION_BATCH = 10_000;

/**
 * Connections one Redis script call of the sweep removes, and users one re-check call reads: a
 * batch's go in calls one after another, so Redis serves everyone else's heartbeats in between.
 */
const REDIS_CHUNK = 2_500;

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
 * connections (Redis scripts, each atomic), then close the rows of the users it left with none (one
 * transaction under the lane's lock that re-checks them, so a re-join since the removal keeps its
 * row). The lanes' batches are disjoint; they close side by side, and one lane's Redis removal
 * overlaps the other's Postgres close. The second lane starts once a first removal comes back full.
 */
export async function evictStaleConnections(
  services: ReconcileServices,
  options: EvictionOptions = {},
): Promise<EvictionCounts> {
  const presenceRestored = await ensurePresenceBuilt(services);
  const cutoff = services.clock().getTime() - services.config.timings.presenceTimeoutMs;
  const counts: EvictionCounts = { presenceRestored, connectionsEvicted: 0, participantsTimedOut: 0, sessions: 0 };
  let failure: unknown;
  for (const sessionId of await sessionsWithPresence(services)) {
    const timedOut: string[] = [];
    const evictedBefore = counts.connectionsEvicted;
    let exhausted = false;
    const lanes: Promise<void>[] = [];
    // One batch: remove, then close. False once no stale connection is left.
    const sweepBatch = async (lane: number): Promise<boolean> => {
      const { removed, userIds, lastSeen } = await removeStaleBatch(services, sessionId, cutoff);
      counts.connectionsEvicted += removed;
      if (removed < EVICTION_BATCH) exhausted = true;
      // A full batch: more are likely, so the other lanes start now, beside this batch's close. Most
      // sessions have a few stale connections or none, and one lane.
      else while (lanes.length < EVICTION_LANES) startLane();
      if (userIds.length > 0) {
        await options.beforeClose?.(sessionId, userIds);
        timedOut.push(
          ...(await closeDisconnected(
            services,
            sessionId,
            (tx) => lockSweepLane(tx, sessionId, lane),
            userIds,
            lastSeen,
            "TIMEOUT",
            services.clock(),
          )),
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
    const startLane = () => {
      const run = sweepLane(lanes.length);
      // Its failure is reported by settleAll below; until then it must not count as unhandled.
      run.catch(() => undefined);
      lanes.push(run);
    };
    startLane();
    // Lanes start only while another runs, so once the first has settled every lane is in the list.
    await lanes[0]!.catch(() => undefined);
    try {
      await settleAll(lanes);
    } catch (error) {
      // The other sessions are still swept; the job fails at the end and runs again.
      failure ??= error;
    }
    // Whatever was closed is announced, even if a lane failed.
    if (timedOut.length > 0) counts.sessions++;
    if (counts.connectionsEvicted > evictedBefore) mediaGrantsChanged(services, sessionId);
    counts.participantsTimedOut += timedOut.length;
    await announceLeft(services, sessionId, timedOut, "TIMEOUT");
  }
  if (failure !== undefined) throw failure;
  return counts;
}

/**
 * Removes up to EVICTION_BATCH connections of the session silent since before `cutoff`, in script
 * calls of REDIS_CHUNK (each atomic); fewer than EVICTION_BATCH means none is left.
 */
async function removeStaleBatch(services: ReconcileServices, sessionId: string, cutoff: number): Promise<StaleRemoval> {
  const batch: StaleRemoval = { removed: 0, userIds: [], lastSeen: [] };
  while (batch.removed < EVICTION_BATCH) {
    const limit = Math.min(REDIS_CHUNK, EVICTION_BATCH - batch.removed);
    const chunk = await removeStaleConnections(services, sessionId, cutoff, limit);
    batch.removed += chunk.removed;
    batch.userIds.push(...chunk.userIds);
    batch.lastSeen.push(...chunk.lastSeen);
    if (chunk.removed < limit) break;
  }
  return batch;
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
          (tx) => lockAllParticipants(tx, sessionId),
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
