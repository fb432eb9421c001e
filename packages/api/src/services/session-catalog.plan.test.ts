import { Prisma } from "@livehall/db";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices } from "../testing/services";
import { listSessions, listSessionsQuery, type ListSessionsInput } from "./session-catalog";

/**
 * Query plans of session.list on a catalog big enough for the planner to prefer indexes on its own
 * (no enable_seqscan tricks): 5,000 sessions, 20,000 courses and instructors. This file owns its
 * database, so the rows stay out of every other test.
 */
const { services, close } = createTestServices();
afterAll(close);

const PEOPLE = 20_000;
const SESSIONS = 5_000;

beforeAll(async () => {
  const db = services.db;
  await db.$executeRaw`
    INSERT INTO "User" (email, name, "passwordHash", role)
    SELECT 'plan-' || n || '@example.test',
           (ARRAY['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Donald', 'Frances', 'Leslie'])[1 + n % 8] || ' ' ||
           (ARRAY['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Knuth', 'Allen', 'Lamport'])[1 + (n / 8) % 8] || ' ' || n,
           'x', 'INSTRUCTOR'
      FROM generate_series(1, ${PEOPLE}::int) AS n`;
  await db.$executeRaw`
    INSERT INTO "Course" (slug, title, "instructorId")
    SELECT 'course-' || n,
           (ARRAY['Databases', 'Algorithms', 'Compilers', 'Networks', 'Biology', 'Chemistry', 'Statistics', 'Design'])[1 + n % 8] || ' ' ||
           (ARRAY['for beginners', 'in depth', 'in practice', 'essentials'])[1 + (n / 8) % 4] || ' ' || n,
           id
      FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM "User") AS instructors`;
  await db.$executeRaw`
    INSERT INTO "LiveSession" ("courseId", title, status, "startsAt", "plannedDurationMinutes", "startedAt", "endedAt")
    SELECT id,
           (ARRAY['Intro to', 'Workshop:', 'Q&A on', 'Deep dive into', 'Review of'])[1 + n % 5] || ' ' ||
           (ARRAY['joins', 'indexes', 'graphs', 'parsers', 'sockets', 'cells', 'proteins', 'sampling', 'colour'])[1 + (n / 5) % 9] || ' #' || n,
           (ARRAY['LIVE', 'SCHEDULED', 'SCHEDULED', 'ENDED', 'ENDED', 'ENDED', 'CANCELLED'])[1 + n % 7]::"SessionStatus",
           now() + (n - ${SESSIONS / 2}::int) * interval '1 hour', 60,
           CASE WHEN n % 7 IN (0, 3, 4, 5) THEN now() - n * interval '1 minute' END,
           CASE WHEN n % 7 IN (3, 4, 5) THEN now() - n * interval '30 seconds' END
      FROM (SELECT id, row_number() OVER (ORDER BY slug) AS n FROM "Course") AS courses
     WHERE n <= ${SESSIONS}::int`;
  // VACUUM as autovacuum would: it also moves new rows out of the GIN pending list, which a plain
  // ANALYZE leaves in place (and the planner rightly prices a trigram scan of a long pending list high).
  await db.$executeRawUnsafe(`VACUUM ANALYZE "User", "Course", "LiveSession"`);
}, 120_000);

async function plan(input: ListSessionsInput): Promise<string> {
  const rows = await services.db.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ${listSessionsQuery(input)}`);
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}

describe("session.list query plans (5,000 sessions)", () => {
  test("a search reads the trigram indexes of session title, course title and instructor name", async () => {
    for (const search of ["proteins #42", "Lovelace 17"]) {
      const text = await plan({ tab: "all", search, limit: 12 });
      expect(text, text).toContain('Bitmap Index Scan on "LiveSession_title_trgm_idx"');
      expect(text, text).toContain('Bitmap Index Scan on "Course_title_trgm_idx"');
      expect(text, text).toContain('Bitmap Index Scan on "User_name_trgm_idx"');
    }
  });

  test("the search finds exactly the matching sessions", async () => {
    const { items } = await listSessions(services, { tab: "all", search: "proteins #42", limit: 50 });
    const [expected] = await services.db.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM "LiveSession" WHERE title LIKE '%proteins #42%'`;
    expect(items.length).toBe(expected!.count);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item.title).toContain("proteins #42");
  });

  test("each tab's next page is one index range per status, never a scan of the tab", async () => {
    for (const tab of ["upcoming", "ended", "all"] as const) {
      const first = await listSessions(services, { tab, limit: 12 });
      const text = await plan({ tab, limit: 12, cursor: first.nextCursor! });
      expect(text, text).not.toMatch(/Seq Scan on "LiveSession"/);
      if (tab === "upcoming")
        expect(text, text).toMatch(
          /Index (Only )?Scan using "LiveSession_status_startsAt_id_idx"[\s\S]*Index Cond: .*ROW\("startsAt", id\) >/,
        );
      if (tab === "ended")
        expect(text, text).toMatch(
          /Index Scan using "LiveSession_ended_order_idx"[\s\S]*Index Cond: .*ROW\(COALESCE\("endedAt", "startsAt"\), id\) </,
        );
    }
  });
});
