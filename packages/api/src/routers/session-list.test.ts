import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { reasonOf } from "../errors";
import type { SessionTab } from "../services/session-catalog";
import { insertUsers, createTestServices } from "../testing/services";
import { createCallerFactory, createTRPCRouter } from "../trpc";
import { sessionCatalogRouter } from "./session-catalog";

// This file owns its database, so the catalog below is everything there is and counts are exact.
const { services, context, close } = createTestServices();
afterAll(close);

const router = createTRPCRouter({ session: sessionCatalogRouter });
const caller = createCallerFactory(router)(context());

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none" }),
    (error: TRPCError) => ({ code: error.code, reason: reasonOf(error) }),
  );

const NOW = Date.now();
const minutes = (n: number) => new Date(NOW + n * 60_000);
const days = (n: number) => minutes(n * 24 * 60);

interface Fixture {
  ada: { id: string };
  engines: { id: string; slug: string };
  compilers: { id: string };
  quantum: string;
  bytes: string;
  parsing: string;
  halfPrice: string;
  loops: string;
  cancelled: string;
}
let fx: Fixture;

const LONG_DESCRIPTION = "A long description. ".repeat(20).trim();

beforeAll(async () => {
  const db = services.db;
  const ada = await db.user.create({
    data: { email: "ada@example.test", name: "Ada Lovelace", passwordHash: "x", role: "INSTRUCTOR" },
  });
  const grace = await db.user.create({
    data: { email: "grace@example.test", name: "Grace Hopper", passwordHash: "x", role: "INSTRUCTOR" },
  });
  const engines = await db.course.create({
    data: { slug: "analytical-engines", title: "Analytical Engines", instructorId: ada.id },
  });
  const compilers = await db.course.create({
    data: { slug: "compilers-101", title: "Compilers 101", instructorId: grace.id },
  });
  const students = await insertUsers(services, 8, { emailPrefix: "list-student" });

  const session = (data: {
    courseId: string;
    title: string;
    status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";
    startsAt: Date;
    startedAt?: Date;
    endedAt?: Date;
    description?: string;
  }) =>
    db.liveSession
      .create({ data: { plannedDurationMinutes: 60, ...data }, select: { id: true } })
      .then((row) => row.id);

  const quantum = await session({
    courseId: engines.id,
    title: "Quantum Basics",
    status: "LIVE",
    startsAt: minutes(-40),
    startedAt: minutes(-30),
  });
  const bytes = await session({
    courseId: compilers.id,
    title: "Bytes and Bits",
    status: "LIVE",
    startsAt: minutes(-10),
    startedAt: minutes(-10),
  });
  const parsing = await session({
    courseId: compilers.id,
    title: "Parsing Deep Dive",
    status: "SCHEDULED",
    startsAt: days(1),
    description: LONG_DESCRIPTION,
  });
  const halfPrice = await session({
    courseId: engines.id,
    title: "Save 50% of your time",
    status: "SCHEDULED",
    startsAt: days(2),
  });
  const loops = await session({
    courseId: compilers.id,
    title: "Loops_and_more",
    status: "ENDED",
    startsAt: days(-1),
    startedAt: days(-1),
    endedAt: minutes(-23 * 60),
  });
  const cancelled = await session({
    courseId: engines.id,
    title: "Cancelled Talk",
    status: "CANCELLED",
    startsAt: days(-2),
  });

  // 40 sessions whose sort keys clash in pairs of tens, so only the id can order them.
  await db.$executeRaw`
    INSERT INTO "LiveSession" ("courseId", title, status, "startsAt", "plannedDurationMinutes", "startedAt", "endedAt")
    SELECT ${compilers.id}::uuid, 'Batch ' || n, status::"SessionStatus", starts, 60, started, ended
      FROM (
        SELECT n,
               (ARRAY['LIVE', 'SCHEDULED', 'ENDED', 'CANCELLED'])[1 + n % 4] AS status,
               CASE n % 4
                 WHEN 0 THEN ${minutes(-90)}::timestamptz
                 WHEN 1 THEN (CASE WHEN n % 8 = 1 THEN ${days(3)} ELSE ${days(4)} END)::timestamptz
                 WHEN 2 THEN ${days(-5)}::timestamptz
                 ELSE (CASE WHEN n % 8 = 3 THEN ${days(-3)} ELSE ${days(-6)} END)::timestamptz
               END AS starts,
               CASE WHEN n % 4 = 0 THEN (CASE WHEN n % 8 = 0 THEN ${minutes(-60)} ELSE ${minutes(-61)} END)::timestamptz END AS started,
               -- Ended batch rows end exactly when some cancelled rows were due, so the two mix in the ended tab.
               CASE WHEN n % 4 = 2 THEN (CASE WHEN n % 8 = 2 THEN ${days(-3)} ELSE ${days(-4)} END)::timestamptz END AS ended
          FROM generate_series(1, 40) AS n
      ) batch`;

  const [s1, s2, s3, s4, s5, s6, s7, s8] = students.map((student) => student.id) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  await db.sessionParticipant.createMany({
    data: [
      { sessionId: quantum, userId: s1 },
      { sessionId: quantum, userId: s2 },
      { sessionId: quantum, userId: s3 },
      { sessionId: quantum, userId: s4, leftAt: minutes(-5), leaveReason: "LEFT" },
      { sessionId: bytes, userId: s5 },
      { sessionId: loops, userId: s6, leftAt: days(-1), leaveReason: "ENDED" },
      { sessionId: loops, userId: s7, leftAt: days(-1), leaveReason: "ENDED" },
      // A legacy active row in an ended session: shown on that session, but nobody is "here now".
      { sessionId: loops, userId: s8 },
    ],
  });
  await db.sessionRating.createMany({
    data: [
      { sessionId: quantum, userId: s1, stars: 5 },
      { sessionId: quantum, userId: s4, stars: 4 },
      { sessionId: loops, userId: s6, stars: 4 },
    ],
  });
  fx = { ada, engines, compilers, quantum, bytes, parsing, halfPrice, loops, cancelled };
});

interface Row {
  id: string;
  status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";
  startsAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
}

/** The documented order of each tab, computed independently of the SQL. */
function expectedOrder(tab: SessionTab, rows: Row[]): string[] {
  const inTab = rows.filter((row) =>
    tab === "all"
      ? true
      : tab === "live"
        ? row.status === "LIVE"
        : tab === "upcoming"
          ? row.status === "SCHEDULED"
          : row.status === "ENDED" || row.status === "CANCELLED",
  );
  const key = (row: Row) => {
    switch (row.status) {
      case "LIVE":
        return { rank: 0, at: (row.startedAt ?? row.startsAt).getTime(), direction: -1 };
      case "SCHEDULED":
        return { rank: 1, at: row.startsAt.getTime(), direction: 1 };
      default:
        return {
          rank: tab === "all" && row.status === "CANCELLED" ? 3 : 2,
          at: (row.endedAt ?? row.startsAt).getTime(),
          direction: -1,
        };
    }
  };
  return inTab
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka.rank !== kb.rank) return ka.rank - kb.rank;
      if (ka.at !== kb.at) return ka.direction * (ka.at - kb.at);
      return ka.direction * (a.id < b.id ? -1 : 1);
    })
    .map((row) => row.id);
}

async function everyPage(input: { tab: SessionTab; limit: number; search?: string }) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await caller.session.list({ ...input, cursor });
    expect(page.items.length).toBeLessThanOrEqual(input.limit);
    ids.push(...page.items.map((item) => item.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error("paging did not end");
}

describe("session.list tabs", () => {
  test("each tab holds exactly its statuses (ended includes cancelled), in the documented order", async () => {
    const rows = await services.db.liveSession.findMany({
      select: { id: true, status: true, startsAt: true, startedAt: true, endedAt: true },
    });
    expect(rows).toHaveLength(46);
    for (const tab of ["all", "live", "upcoming", "ended"] as const) {
      const page = await caller.session.list({ tab, limit: 50 });
      expect(page.items.map((item) => item.id)).toEqual(expectedOrder(tab, rows));
      expect(page.nextCursor).toBeNull();
    }
    const counts = Object.fromEntries(
      await Promise.all(
        (["live", "upcoming", "ended"] as const).map(async (tab) => [
          tab,
          (await caller.session.list({ tab, limit: 50 })).items.length,
        ]),
      ),
    );
    expect(counts).toEqual({ live: 12, upcoming: 12, ended: 22 });
  });

  test("the default is the all tab, 12 items, live sessions first", async () => {
    const page = await caller.session.list();
    expect(page.items).toHaveLength(12);
    expect(page.items.every((item) => item.status === "LIVE")).toBe(true);
    expect(page.nextCursor).not.toBeNull();
  });

  test("items carry course, instructor, active participant count and rounded rating", async () => {
    const { items } = await caller.session.list({ tab: "all", limit: 50 });
    const byId = new Map(items.map((item) => [item.id, item]));
    expect(byId.get(fx.quantum)).toEqual({
      id: fx.quantum,
      title: "Quantum Basics",
      description: "",
      status: "LIVE",
      startsAt: minutes(-40),
      plannedDurationMinutes: 60,
      startedAt: minutes(-30),
      endedAt: null,
      endedReason: null,
      course: { id: fx.engines.id, title: "Analytical Engines", slug: "analytical-engines" },
      instructor: { id: fx.ada.id, name: "Ada Lovelace" },
      participantCount: 3,
      rating: { average: 4.5, count: 2 },
    });
    expect(byId.get(fx.bytes)).toMatchObject({ participantCount: 1, rating: { average: null, count: 0 } });
    expect(byId.get(fx.loops)).toMatchObject({
      status: "ENDED",
      participantCount: 1,
      rating: { average: 4, count: 1 },
    });
    expect(byId.get(fx.cancelled)).toMatchObject({
      status: "CANCELLED",
      participantCount: 0,
      rating: { average: null, count: 0 },
    });
  });

  test("list items carry a description preview; byId the whole description", async () => {
    const { items } = await caller.session.list({ tab: "upcoming", limit: 1 });
    expect(items[0]!.id).toBe(fx.parsing);
    expect(items[0]!.description).toHaveLength(280);
    expect(items[0]!.description.endsWith("…")).toBe(true);
    expect(LONG_DESCRIPTION.startsWith(items[0]!.description.slice(0, -1))).toBe(true);
    expect((await caller.session.byId({ sessionId: fx.parsing })).description).toBe(LONG_DESCRIPTION);
  });

  test("byId agrees with the list item", async () => {
    const { items } = await caller.session.list({ tab: "live", limit: 50 });
    expect(await caller.session.byId({ sessionId: fx.quantum })).toEqual(items.find((item) => item.id === fx.quantum));
  });

  test("filters by course", async () => {
    const { items } = await caller.session.list({ courseId: fx.engines.id, limit: 50 });
    expect(items.map((item) => item.id)).toEqual([fx.quantum, fx.halfPrice, fx.cancelled]);
    expect((await caller.session.list({ courseId: "00000000-0000-4000-8000-000000000000" })).items).toEqual([]);
  });
});

describe("session.list paging", () => {
  test.each(["all", "live", "upcoming", "ended"] as const)(
    "%s: every session exactly once, in order, whatever the page size",
    async (tab) => {
      const rows = await services.db.liveSession.findMany({
        select: { id: true, status: true, startsAt: true, startedAt: true, endedAt: true },
      });
      const expected = expectedOrder(tab, rows);
      for (const limit of [1, 3, 7]) {
        expect(await everyPage({ tab, limit })).toEqual(expected);
      }
    },
  );

  test("a session added behind the cursor does not shift the next page", async () => {
    const first = await caller.session.list({ tab: "upcoming", limit: 3 });
    const added = await services.db.liveSession.create({
      data: {
        courseId: fx.compilers.id,
        title: "Added meanwhile",
        status: "SCHEDULED",
        startsAt: minutes(1),
        plannedDurationMinutes: 30,
      },
    });
    try {
      const second = await caller.session.list({ tab: "upcoming", limit: 3, cursor: first.nextCursor! });
      const all = await everyPage({ tab: "upcoming", limit: 50 });
      expect(second.items.map((item) => item.id)).toEqual(all.filter((id) => id !== added.id).slice(3, 6));
    } finally {
      await services.db.liveSession.delete({ where: { id: added.id } });
    }
  });

  test("a malformed, forged or other tab's cursor is a bad request", async () => {
    const { nextCursor } = await caller.session.list({ tab: "live", limit: 2 });
    const forged = Buffer.from(JSON.stringify({ tab: "live", rank: 0, sortAt: "not a date", id: fx.quantum })).toString(
      "base64url",
    );
    const wrongRank = Buffer.from(
      JSON.stringify({ tab: "live", rank: 2, sortAt: new Date().toISOString(), id: fx.quantum }),
    ).toString("base64url");
    for (const cursor of ["garbage", "", "e30", forged, wrongRank, Buffer.from("[1,2]").toString("base64url")]) {
      expect(await failureOf(caller.session.list({ tab: "live", cursor }))).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    }
    expect(await failureOf(caller.session.list({ tab: "upcoming", cursor: nextCursor! }))).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
  });
});

describe("session.list search", () => {
  const search = async (term: string, tab: SessionTab = "all") =>
    (await caller.session.list({ tab, search: term, limit: 50 })).items.map((item) => item.title).sort();

  test("by session title, course title or instructor name: partial and case-insensitive", async () => {
    expect(await search("quantum")).toEqual(["Quantum Basics"]);
    expect(await search("UANTUM BAS")).toEqual(["Quantum Basics"]);
    expect(await search("analytical eng")).toEqual(["Cancelled Talk", "Quantum Basics", "Save 50% of your time"]);
    expect(await search("lovelace")).toEqual(["Cancelled Talk", "Quantum Basics", "Save 50% of your time"]);
    expect(await search("hopp")).toHaveLength(43);
    expect(await search("no such thing")).toEqual([]);
  });

  test("combines with the tab and course filter", async () => {
    expect(await search("lovelace", "live")).toEqual(["Quantum Basics"]);
    expect(await search("lovelace", "ended")).toEqual(["Cancelled Talk"]);
    const filtered = await caller.session.list({ search: "bits", courseId: fx.engines.id });
    expect(filtered.items).toEqual([]);
  });

  test("% and _ match themselves, not any text", async () => {
    expect(await search("%")).toEqual(["Save 50% of your time"]);
    expect(await search("50%")).toEqual(["Save 50% of your time"]);
    expect(await search("_")).toEqual(["Loops_and_more"]);
    expect(await search("\\")).toEqual([]);
  });

  test("whitespace around the term is ignored; a blank search lists everything", async () => {
    expect(await search("  quantum  ")).toEqual(["Quantum Basics"]);
    expect(await search("   ")).toHaveLength(46);
  });

  test("search results page like any list", async () => {
    const all = (await caller.session.list({ search: "hopp", limit: 50 })).items.map((item) => item.id);
    expect(await everyPage({ tab: "all", limit: 4, search: "hopp" })).toEqual(all);
  });
});

describe("session.stats", () => {
  test("exact numbers: live and upcoming sessions, people in live sessions now, average rating", async () => {
    expect(await caller.session.stats()).toEqual({
      liveNow: 12,
      upcoming: 12,
      participantsNow: 4,
      averageRating: 4.3,
      ratingCount: 3,
    });
  });
});
