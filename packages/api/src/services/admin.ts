import type { Services } from "../context";
import { JOB_NAMES, jobSchedule, type JobName } from "../jobs/definitions";
import { lastJobRuns } from "../jobs/history";
import { sessionsWithPresence } from "./presence";

const DAY_MS = 24 * 60 * 60 * 1000;

/** admin.overview — the job schedulers and the figures maintenance is about. */
export async function adminOverview(services: Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "jobs">) {
  const now = services.clock();
  const [schedules, workers, runs, tokens, participants, connections] = await Promise.all([
    services.jobs.schedules(),
    services.jobs.workerCount(),
    lastJobRuns(services),
    services.db.$queryRaw<{ active: number; expired: number; reusedFamilies: number }[]>`
      SELECT
        count(*) FILTER (WHERE "expiresAt" > ${now} AND "revokedAt" IS NULL AND "rotatedAt" IS NULL)::int AS active,
        count(*) FILTER (WHERE "expiresAt" <= ${now})::int AS expired,
        count(DISTINCT "familyId") FILTER (
          WHERE "revokedReason" = 'REFRESH_TOKEN_REUSED' AND "revokedAt" > ${new Date(now.getTime() - DAY_MS)}
        )::int AS "reusedFamilies"
      FROM "RefreshToken"`,
    services.db.sessionParticipant.count({ where: { leftAt: null } }),
    countConnections(services),
  ]);
  const every = jobSchedule(services.config.timings);
  const nextByName = new Map(schedules.map((schedule) => [schedule.name, schedule.next]));
  const dedupe = runs["participants.dedupe"];
  return {
    workers,
    jobs: JOB_NAMES.map((name: JobName) => ({
      name,
      everyMs: every[name],
      nextRunAt: nextByName.get(name) ? new Date(nextByName.get(name)!) : null,
      lastRun: runs[name],
    })),
    tokens: {
      active: tokens[0]?.active ?? 0,
      expiredAwaitingCleanup: tokens[0]?.expired ?? 0,
      familiesRevokedForReuse24h: tokens[0]?.reusedFamilies ?? 0,
    },
    participants: {
      active: participants,
      connections,
      lastReconcileDrift: dedupe?.ok ? dedupe.counts : null,
    },
  };
}

/** Open room connections across all sessions (Redis presence). */
export async function countConnections(services: Pick<Services, "redis" | "keys">): Promise<number> {
  const sessionIds = await sessionsWithPresence(services);
  if (sessionIds.length === 0) return 0;
  const pipeline = services.redis.pipeline();
  for (const sessionId of sessionIds) pipeline.zcard(services.keys.presence(sessionId));
  const results = (await pipeline.exec()) ?? [];
  return results.reduce((sum, [, count]) => sum + Number(count ?? 0), 0);
}
