import { Prisma } from "@livehall/db";

/**
 * A user's attended time in milliseconds, summed over their participant rows `p` of a session
 * `session` (with its "endedAt"): each visit lasts until it ended, else until the session ended,
 * else until `now`. Rows the reconcile closed as DUPLICATE (legacy extra rows that ran beside the
 * user's real one) add nothing, so duplicates never double anyone's time. An aggregate: use it
 * grouped by user. The one definition of attendance, for the attendance report and the rating rule.
 */
export function attendedMsSql(now: Date): Prisma.Sql {
  return Prisma.sql`COALESCE(sum(GREATEST(0, extract(epoch FROM (COALESCE(p."leftAt", session."endedAt", ${now}::timestamptz) - p."joinedAt")) * 1000))
               FILTER (WHERE p."leaveReason" IS DISTINCT FROM 'DUPLICATE'), 0)::float8`;
}
