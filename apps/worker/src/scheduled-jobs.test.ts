import { JOB_NAMES, JobName, closeServices, createCaller, type Services } from "@livehall/api";
import { asSessionUser, createSessionFixture, createTestServices, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";
import { maintenanceQueue, recordRuns, startTestWorker, stopAll, workerConfig, workerServices } from "./test-support";
import type { RunningWorker } from "./worker";

const api = createTestServices();
const db = api.services.db;
const TIMEOUT_MS = 90_000;

// The real worker with schedules far apart: after their first runs at start-up, jobs run only when
// a test enqueues them, as admin.runJob does.
const config = workerConfig({
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "3600",
  PRESENCE_TIMEOUT_SECONDS: String(TIMEOUT_MS / 1000),
});
const started: RunningWorker[] = [];
const maintenance = maintenanceQueue(config);
let services: Services;

beforeAll(async () => {
  services = await workerServices(config);
  const { handlers, runs } = recordRuns(createJobHandlers(services));
  await startTestWorker(config, handlers, started);
  await waitFor(() => JOB_NAMES.every((name) => runs.some((run) => run.name === name)), {
    what: "the first scheduled runs",
  });
});
afterAll(async () => {
  await stopAll(started);
  await maintenance.close();
  await closeServices(services);
  await api.close();
});

/** TOKEN_CLEANUP_BATCH in packages/api/src/auth/service.ts. */
const TOKEN_BATCH = 1_000;

describe("tokens.expire through the worker", () => {
  test("deletes 100,000 expired tokens in batches, and old revoked ones; valid and recently revoked ones are untouched", async () => {
    const users = await insertUsers(api.services, 50);
    const counts = { expired: 100_000, valid: 250, recentlyRevoked: 150, longRevoked: 120 };
    const kinds = [
      // Expired a minute or more ago; every tenth was also revoked (counted once, as expired).
      {
        kind: "expired",
        n: counts.expired,
        expires: "- interval '1 minute' - n * interval '1 second'",
        revoked: "CASE WHEN n % 10 = 0 THEN now() - interval '8 days' END",
      },
      // Valid; every other one already rotated (a child exists or may be recomputed): still kept.
      { kind: "valid", n: counts.valid, expires: "+ interval '1 day'", revoked: "NULL" },
      // Revoked an hour ago: kept for the retention (7 days) so a replay is still recognised.
      {
        kind: "recent",
        n: counts.recentlyRevoked,
        expires: "+ interval '20 days'",
        revoked: "now() - interval '1 hour'",
      },
      // Revoked 8 days ago, not yet expired: past the retention.
      { kind: "old", n: counts.longRevoked, expires: "+ interval '20 days'", revoked: "now() - interval '8 days'" },
    ];
    const select = kinds
      .map(
        ({ kind, n, expires, revoked }) => `
        SELECT '${kind}' AS kind, n, now() ${expires} AS expires, ${revoked} AS revoked FROM generate_series(1, ${n}) AS n`,
      )
      .join(" UNION ALL ");
    const userIds = users.map((user) => user.id);
    const inserted = await db.$executeRawUnsafe(
      `INSERT INTO "RefreshToken" ("userId", "familyId", "tokenHash", "createdAt", "expiresAt", "rotatedAt", "revokedAt", "revokedReason")
       SELECT ($1::uuid[])[1 + t.n % ${users.length}], gen_random_uuid(), encode(sha256((t.kind || '-' || t.n)::bytea), 'hex'),
              now() - interval '30 days', t.expires,
              CASE WHEN t.kind = 'valid' AND t.n % 2 = 0 THEN now() - interval '1 minute' END,
              t.revoked, CASE WHEN t.revoked IS NOT NULL THEN 'LOGOUT'::"TokenRevokeReason" END
       FROM (${select}) AS t
       ORDER BY 3`,
      userIds,
    );
    const initial = counts.expired + counts.valid + counts.recentlyRevoked + counts.longRevoked;
    expect(inserted).toBe(initial);
    const keep = await db.refreshToken.findMany({
      where: {
        expiresAt: { gt: new Date() },
        OR: [{ revokedAt: null }, { revokedAt: { gt: new Date(Date.now() - 2 * 86_400_000) } }],
      },
      orderBy: { id: "asc" },
    });
    expect(keep).toHaveLength(counts.valid + counts.recentlyRevoked);

    // Watch the table from another connection while the job runs: batches commit one by one.
    const seen = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.add(Number((await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "RefreshToken"`)[0]!.n));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const result = await maintenance.run(JobName.tokensExpire).finally(async () => {
      watching = false;
      await watcher;
    });

    expect(result).toEqual({ expired: counts.expired, revoked: counts.longRevoked });
    // Exactly the valid and recently revoked tokens remain, unchanged.
    expect(await db.refreshToken.findMany({ orderBy: { id: "asc" } })).toEqual(keep);
    // Every count seen is a whole number of batches away from the start (then the revoked pass):
    // never one statement for everything, and some states in between were visible.
    const afterExpired = initial - counts.expired;
    for (const count of seen) {
      const wholeBatches = count >= afterExpired && (initial - count) % TOKEN_BATCH === 0;
      expect(wholeBatches || count === afterExpired - counts.longRevoked, `count ${count}`).toBe(true);
    }
    expect([...seen].filter((count) => count < initial && count > afterExpired).length).toBeGreaterThan(0);

    // A second run (as after a crash) finds nothing left.
    expect(await maintenance.run(JobName.tokensExpire)).toEqual({ expired: 0, revoked: 0 });
    // ~7 s alone (3–4 s of it inserting the rows); the margin is for a loaded machine.
  }, 60_000);
});

describe("participants.dedupe through the worker", () => {
  test("reconciles legacy duplicates, orphaned rows and orphaned connections, reports each count, and the unique index can be rebuilt", async () => {
    const { session } = await createSessionFixture(api.services);
    const ended = (await createSessionFixture(api.services, "ENDED")).session;
    const [dupA, dupB, ghostA, ghostB, fresh, connA, connB, connC, healthyA, healthyB, endedA, endedB] =
      await insertUsers(api.services, 12);
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo);
    const presence = (sessionId: string) => services.keys.presence(sessionId);

    // Healthy participants, through the API: untouched by the reconcile.
    for (const [i, user] of [healthyA!, healthyB!].entries()) {
      await createCaller(api.context(asSessionUser(user))).session.join({
        sessionId: session.id,
        connectionId: `healthy-${i}-tab`,
      });
    }

    // Legacy data from before the partial unique index.
    await db.$executeRawUnsafe(`DROP INDEX "SessionParticipant_active_key"`);
    await db.sessionParticipant.createMany({
      data: [
        // dupA: three active rows, dupB: two (both connected); the earliest row of each is kept.
        { sessionId: session.id, userId: dupA!.id, joinedAt: at(30_000), lastSeenAt: at(1_000) },
        { sessionId: session.id, userId: dupA!.id, joinedAt: at(20_000), lastSeenAt: at(1_000) },
        { sessionId: session.id, userId: dupA!.id, joinedAt: at(10_000), lastSeenAt: at(1_000) },
        { sessionId: session.id, userId: dupB!.id, joinedAt: at(50_000), lastSeenAt: at(1_000) },
        { sessionId: session.id, userId: dupB!.id, joinedAt: at(40_000), lastSeenAt: at(1_000) },
        // Orphaned rows: active, no connection, last seen longer ago than the timeout.
        { sessionId: session.id, userId: ghostA!.id, joinedAt: at(3 * TIMEOUT_MS), lastSeenAt: at(2 * TIMEOUT_MS) },
        { sessionId: session.id, userId: ghostB!.id, joinedAt: at(3 * TIMEOUT_MS), lastSeenAt: at(TIMEOUT_MS + 5_000) },
        // No connection but seen a moment ago (a join whose tab is still connecting): kept.
        { sessionId: session.id, userId: fresh!.id, joinedAt: at(2_000), lastSeenAt: at(2_000) },
        // A previous visit of connB, closed long ago.
        {
          sessionId: session.id,
          userId: connB!.id,
          joinedAt: at(600_000),
          lastSeenAt: at(500_000),
          leftAt: at(500_000),
          leaveReason: "LEFT",
        },
        // Rows left active in a session that has ended.
        { sessionId: ended.id, userId: endedA!.id, joinedAt: at(600_000), lastSeenAt: at(1_000) },
        { sessionId: ended.id, userId: endedB!.id, joinedAt: at(600_000), lastSeenAt: at(1_000) },
      ],
    });
    await services.redis
      .multi()
      .zadd(presence(session.id), now, `${dupA!.id}:dup-a-tab-1`, now, `${dupB!.id}:dup-b-tab-1`)
      // Orphaned connections: no active row (connC has two tabs).
      .zadd(
        presence(session.id),
        now,
        `${connA!.id}:orphan-tab-1`,
        now,
        `${connB!.id}:orphan-tab-1`,
        now,
        `${connC!.id}:orphan-tab-1`,
        now,
        `${connC!.id}:orphan-tab-2`,
      )
      .zadd(presence(ended.id), now, `${endedA!.id}:ended-tab-1`, now, `${endedB!.id}:ended-tab-1`)
      .exec();

    const counts = await maintenance.run(JobName.participantsDedupe);
    expect(counts).toEqual({
      presenceRestored: 0,
      duplicatesClosed: 3,
      endedSessionRowsClosed: 2,
      disconnectedRowsClosed: 2,
      orphanConnectionsDropped: 4 + 2,
      sessions: 2,
    });

    // One active row per user, the earliest of each duplicate set; the rest closed with their reasons.
    const active = await db.sessionParticipant.findMany({ where: { sessionId: session.id, leftAt: null } });
    expect(active.map((row) => row.userId).sort()).toEqual(
      [dupA!.id, dupB!.id, fresh!.id, healthyA!.id, healthyB!.id].sort(),
    );
    expect(active.find((row) => row.userId === dupA!.id)!.joinedAt).toEqual(at(30_000));
    expect(active.find((row) => row.userId === dupB!.id)!.joinedAt).toEqual(at(50_000));
    const reasons = await db.sessionParticipant.groupBy({
      by: ["leaveReason"],
      where: { leftAt: { not: null } },
      _count: true,
      orderBy: { leaveReason: "asc" },
    });
    expect(Object.fromEntries(reasons.map((r) => [r.leaveReason, r._count]))).toEqual({
      DUPLICATE: 3,
      TIMEOUT: 2,
      ENDED: 2,
      LEFT: 1,
    });
    const members = (await services.redis.zrange(presence(session.id), 0, -1)).map((value) =>
      value.slice(0, value.indexOf(":")),
    );
    expect(members.sort()).toEqual([dupA!.id, dupB!.id, healthyA!.id, healthyB!.id].sort());
    expect(await services.redis.exists(presence(ended.id))).toBe(0);

    // The partial unique index can be built again: no (session, user) has two active rows left.
    await db.$executeRawUnsafe(
      `CREATE UNIQUE INDEX "SessionParticipant_active_key" ON "SessionParticipant"("sessionId", "userId") WHERE "leftAt" IS NULL`,
    );

    // And a second run finds no drift (idempotent).
    expect(await maintenance.run(JobName.participantsDedupe)).toMatchObject({
      duplicatesClosed: 0,
      endedSessionRowsClosed: 0,
      disconnectedRowsClosed: 0,
      orphanConnectionsDropped: 0,
    });
  });
});
