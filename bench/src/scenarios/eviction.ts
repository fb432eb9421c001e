import { evictStaleConnections, type Services } from "@livehall/api";
import { createSessionFixture, insertParticipantsLastSeen, insertUsers } from "@livehall/api/testing";
import { isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { median, round, timed } from "../lib/stats";

export interface EvictionOptions {
  connections: number;
  warmupConnections: number;
  rounds: number;
}

interface StaleSession {
  sessionId: string;
  key: string;
  staleAt: Date;
}

/**
 * One live session with `count` active participant rows and `count` connections in Redis presence,
 * all last seen well before the presence timeout. Dead tuples of earlier rounds are vacuumed first,
 * so every run starts from the same table state.
 */
async function staleSession(services: Services, userIds: string[], count: number): Promise<StaleSession> {
  const { session } = await createSessionFixture(services);
  const staleAt = new Date(Date.now() - services.config.timings.presenceTimeoutMs - 60_000);
  // The state joins leave behind: rows, the set of connections and its per-user index.
  await insertParticipantsLastSeen(services, session.id, userIds.slice(0, count), () => staleAt.getTime());
  const key = services.keys.presence(session.id);
  await services.db.$executeRawUnsafe(`VACUUM ANALYZE "SessionParticipant"`);
  return { sessionId: session.id, key, staleAt };
}

async function remaining(services: Services, stale: StaleSession) {
  const [rows] = await services.db.$queryRaw<{ active: number }[]>`
    SELECT count(*)::int AS active FROM "SessionParticipant" WHERE "sessionId" = ${stale.sessionId}::uuid AND "leftAt" IS NULL`;
  return { activeRows: rows!.active, connections: await services.redis.zcard(stale.key) };
}

async function dropSession(services: Services, stale: StaleSession) {
  await services.db.$executeRaw`DELETE FROM "SessionParticipant" WHERE "sessionId" = ${stale.sessionId}::uuid`;
  await services.redis.del(stale.key, services.keys.presenceUsers(stale.sessionId));
}

/** The worker's heartbeats.evict job code (apps/worker's handler calls exactly this). */
async function runJob(services: Services, stale: StaleSession, count: number) {
  const { result, ms } = await timed(() => evictStaleConnections(services));
  const left = await remaining(services, stale);
  const correct =
    result.connectionsEvicted === count &&
    result.participantsTimedOut === count &&
    left.activeRows === 0 &&
    left.connections === 0;
  return { ms, correct, counts: result, left };
}

/** The limit: one UPDATE closing every stale row, one ZREMRANGEBYSCORE dropping every stale connection. */
async function runRaw(services: Services, stale: StaleSession, count: number) {
  const cutoff = Date.now() - services.config.timings.presenceTimeoutMs;
  const { result, ms } = await timed(async () => {
    const closed = await services.db.$executeRaw`
      UPDATE "SessionParticipant" SET "leftAt" = now(), "leaveReason" = 'TIMEOUT', "lastSeenAt" = ${stale.staleAt}
      WHERE "sessionId" = ${stale.sessionId}::uuid AND "leftAt" IS NULL`;
    const evicted = await services.redis.zremrangebyscore(stale.key, "-inf", `(${cutoff}`);
    return { closed, evicted };
  });
  const left = await remaining(services, stale);
  const correct =
    result.closed === count && result.evicted === count && left.activeRows === 0 && left.connections === 0;
  return { ms, correct, counts: result, left };
}

export async function evictionScenario(options: EvictionOptions, log: (line: string) => void) {
  const iso = await isolated();
  try {
    const { services } = iso;
    const users = await insertUsers(services, options.connections, { emailPrefix: "bench-evict" });
    const userIds = users.map((user) => user.id);
    // Records that presence is built (nothing to restore yet), as a running worker would have.
    await evictStaleConnections(services);

    for (const run of [runJob, runRaw]) {
      const stale = await staleSession(services, userIds, options.warmupConnections);
      await run(services, stale, options.warmupConnections);
      await dropSession(services, stale);
    }

    const job: Awaited<ReturnType<typeof runJob>>[] = [];
    const raw: Awaited<ReturnType<typeof runRaw>>[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      // Alternating, so both see the same background load.
      for (const [name, run, into] of [
        ["job", runJob, job],
        ["raw", runRaw, raw],
      ] as const) {
        const stale = await staleSession(services, userIds, options.connections);
        const result = await run(services, stale, options.connections);
        (into as (typeof result)[]).push(result);
        log(`  round ${round} ${name}: ${round2(result.ms)} ms  correct ${result.correct}`);
        await dropSession(services, stale);
      }
    }
    const jobMs = round(median(job.map((r) => r.ms)), 0);
    const rawMs = round(median(raw.map((r) => r.ms)), 0);
    const ratio = round(jobMs / rawMs);
    const correct = job.every((r) => r.correct) && raw.every((r) => r.correct);
    const rows: Row[] = [
      {
        scenario: `4 eviction sweep (${options.connections.toLocaleString("en")} stale)`,
        metric: "heartbeats.evict job ms vs raw UPDATE + ZREMRANGEBYSCORE",
        median: jobMs,
        p99: null,
        baseline: rawMs,
        ratio,
        target: "≤ 1.5× raw",
        pass: ratio <= 1.5 && correct,
      },
    ];
    return {
      raw: {
        options,
        job: job.map((r) => ({ ms: round(r.ms), correct: r.correct, counts: r.counts })),
        raw: raw.map((r) => ({ ms: round(r.ms), correct: r.correct, counts: r.counts })),
      },
      rows,
    };
  } finally {
    await iso.close();
  }
}

const round2 = (value: number) => round(value, 0);
