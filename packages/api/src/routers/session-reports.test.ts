import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { reasonOf } from "../errors";
import { createCaller } from "../root";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";

// A clock the tests set: attendance of a visit still going on is counted up to "now".
const T0 = new Date("2030-01-01T10:00:00.000Z").getTime();
let now = T0;
const { services, context, close } = createTestServices({}, { clock: () => new Date(now) });
afterAll(close);

const MINUTE = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);
const as = (user: { id: string; role: SessionUser["role"] }) =>
  createCaller(context({ ...user, familyId: "00000000-0000-4000-8000-000000000000" }));
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none" }),
    (error: TRPCError) => ({ code: error.code, reason: reasonOf(error) }),
  );

type Person = { id: string; role: SessionUser["role"] };
let teacher: Person, otherTeacher: Person, admin: Person, students: Person[];
let courseId: string;

beforeAll(async () => {
  const teachers = await insertUsers(services, 2, { role: "INSTRUCTOR", emailPrefix: "reports-teacher" });
  [teacher, otherTeacher] = [teachers[0]!, teachers[1]!];
  admin = (await insertUsers(services, 1, { role: "ADMIN", emailPrefix: "reports-admin" }))[0]!;
  students = await insertUsers(services, 4, { role: "STUDENT", emailPrefix: "reports-student" });
  courseId = (
    await services.db.course.create({ data: { slug: "reports-course", title: "Reports", instructorId: teacher.id } })
  ).id;
});

async function session(status: "LIVE" | "ENDED" | "SCHEDULED", endedAt: Date | null = null) {
  const { id } = await services.db.liveSession.create({
    data: {
      courseId,
      title: `${status} session`,
      status,
      startsAt: at(0),
      startedAt: status === "SCHEDULED" ? null : at(0),
      endedAt,
      plannedDurationMinutes: 60,
    },
  });
  return id;
}

type Visit = { user: Person; joined: number; left?: number; reason?: "LEFT" | "TIMEOUT" | "ENDED" | "DUPLICATE" };
async function visits(sessionId: string, rows: Visit[]) {
  await services.db.sessionParticipant.createMany({
    data: rows.map((row) => ({
      sessionId,
      userId: row.user.id,
      joinedAt: at(row.joined),
      lastSeenAt: at(row.left ?? row.joined),
      leftAt: row.left === undefined ? null : at(row.left),
      leaveReason: row.reason ?? null,
    })),
  });
}

describe("session.attendance", () => {
  test("sums each user's visits, up to now for a visit still going on, first joiners first", async () => {
    const sessionId = await session("LIVE");
    const [ana, ben, cy] = students as [Person, Person, Person];
    await visits(sessionId, [
      // Ana: 10 minutes, left, back at 20 and still there.
      { user: ana, joined: 1, left: 11, reason: "LEFT" },
      { user: ana, joined: 20 },
      // Ben: 5 minutes, timed out.
      { user: ben, joined: 2, left: 7, reason: "TIMEOUT" },
      // Cy: 30 minutes, plus a legacy duplicate row beside it that must not double the time.
      { user: cy, joined: 0, left: 30, reason: "LEFT" },
      { user: cy, joined: 0, left: 25, reason: "DUPLICATE" },
    ]);
    now = at(50).getTime();

    const attendance = await as(teacher).session.attendance({ sessionId });
    expect(attendance.total).toBe(3);
    expect(attendance.items.map((row) => row.userId)).toEqual([cy.id, ana.id, ben.id]);
    const [cyRow, anaRow, benRow] = attendance.items;
    expect(anaRow).toMatchObject({
      attendedMs: 40 * MINUTE,
      visits: 2,
      active: true,
      lastLeftAt: null,
      leaveReason: null,
      firstJoinedAt: at(1),
      isInstructor: false,
    });
    expect(benRow).toMatchObject({
      attendedMs: 5 * MINUTE,
      visits: 1,
      active: false,
      lastLeftAt: at(7),
      leaveReason: "TIMEOUT",
    });
    expect(cyRow).toMatchObject({
      attendedMs: 30 * MINUTE,
      visits: 2,
      active: false,
      lastLeftAt: at(30),
      firstJoinedAt: at(0),
    });
    expect(anaRow!.name).toMatch(/^Test User/);
    expect(attendance.averageAttendedMs).toBe(25 * MINUTE);

    // A later "now" grows only the visit that goes on.
    now = at(60).getTime();
    const later = await as(teacher).session.attendance({ sessionId });
    expect(later.items.map((row) => row.attendedMs)).toEqual([30 * MINUTE, 50 * MINUTE, 5 * MINUTE]);

    // limit cuts the list, not the total.
    const first = await as(teacher).session.attendance({ sessionId, limit: 1 });
    expect(first).toMatchObject({ total: 3, items: [{ userId: cy.id }] });
  });

  test("an ended session counts an unclosed row up to its end; the instructor is the host, not an attendee", async () => {
    const sessionId = await session("ENDED", at(45));
    const [ana, ben] = students as [Person, Person];
    await visits(sessionId, [
      { user: ana, joined: 5 },
      { user: ben, joined: 15, left: 35, reason: "LEFT" },
      { user: teacher, joined: 0, left: 45, reason: "ENDED" },
    ]);
    now = at(600).getTime();
    const attendance = await as(admin).session.attendance({ sessionId });
    // Two attendees (40 and 20 minutes): the instructor's 45 minutes count in neither the total nor the average.
    expect(attendance).toMatchObject({ total: 2, averageAttendedMs: 30 * MINUTE });
    expect(attendance.items).toMatchObject([
      { userId: ana.id, isInstructor: false, attendedMs: 40 * MINUTE },
      { userId: ben.id, isInstructor: false, attendedMs: 20 * MINUTE },
    ]);
    expect(attendance.host).toMatchObject({
      userId: teacher.id,
      isInstructor: true,
      attendedMs: 45 * MINUTE,
      leaveReason: "ENDED",
    });
    // `limit` counts attendees only, whether or not the host joined.
    expect((await as(teacher).session.attendance({ sessionId, limit: 1 })).items.map((row) => row.userId)).toEqual([
      ana.id,
    ]);
  });

  test("a session only its instructor joined has no attendees", async () => {
    const sessionId = await session("ENDED", at(30));
    await visits(sessionId, [{ user: teacher, joined: 0, left: 30, reason: "ENDED" }]);
    const attendance = await as(teacher).session.attendance({ sessionId });
    expect(attendance).toMatchObject({ total: 0, averageAttendedMs: null, items: [] });
    expect(attendance.host).toMatchObject({ userId: teacher.id, attendedMs: 30 * MINUTE });
  });

  test("a session nobody joined has an empty attendance", async () => {
    const sessionId = await session("SCHEDULED");
    expect(await as(teacher).session.attendance({ sessionId })).toEqual({
      total: 0,
      averageAttendedMs: null,
      items: [],
      host: null,
    });
  });
});

describe("attendance: room interaction and the CSV export", () => {
  test("messages, questions and hands per student; the CSV is RFC 4180, UTF-8 with the host first", async () => {
    const sessionId = await session("ENDED", at(30));
    const [ana, ben] = students as [Person, Person];
    await visits(sessionId, [
      { user: teacher, joined: 0, left: 30, reason: "ENDED" },
      { user: ana, joined: 1, left: 30, reason: "ENDED" },
      { user: ben, joined: 2, left: 12, reason: "TIMEOUT" },
    ]);
    await services.db.chatMessage.createMany({
      data: [
        { sessionId, authorId: ana.id, clientMessageId: "a-1", body: "hi" },
        { sessionId, authorId: ana.id, clientMessageId: "a-2", body: "why?", isQuestion: true },
        { sessionId, authorId: ana.id, clientMessageId: "a-3", body: "gone", deletedAt: at(5) },
        { sessionId, authorId: teacher.id, clientMessageId: "t-1", body: "welcome" },
      ],
    });
    await services.db.raisedHand.createMany({
      data: [
        { sessionId, userId: ben.id, raisedAt: at(3), loweredAt: at(4) },
        { sessionId, userId: ben.id, raisedAt: at(6), loweredAt: at(7) },
      ],
    });
    await services.db.user.update({ where: { id: ben.id }, data: { name: '=HYPERLINK("x"), "Ben"' } });

    const attendance = await as(teacher).session.attendance({ sessionId });
    expect(attendance.items).toMatchObject([
      { userId: ana.id, messagesSent: 3, questionsAsked: 1, handsRaised: 0 },
      { userId: ben.id, messagesSent: 0, questionsAsked: 0, handsRaised: 2 },
    ]);
    expect(attendance.host).toMatchObject({ messagesSent: 1 });

    const { csv, filename } = await as(admin).session.attendanceCsv({ sessionId });
    expect(filename).toBe(`attendance-${sessionId}.csv`);
    expect(csv.startsWith("\uFEFFName,Role,Minutes attended,")).toBe(true);
    const lines = csv.slice(1).split("\r\n");
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe("");
    expect(lines[1]).toMatch(/^Test User \d+,Host,30,1,/);
    expect(lines[2]).toMatch(/^Test User \d+,Student,29,1,.*,Session ended,3,1,0$/);
    // Quotes doubled, the field quoted, and a formula defused with an apostrophe.
    expect(lines[3]).toMatch(/^"'=HYPERLINK\(""x""\), ""Ben""",Student,10,1,.*,Connection lost,0,0,2$/);
  });

  test("CSV downloads are budgeted per user: past 5 in a row, 429 RATE_LIMITED with a retry hint", async () => {
    const sessionId = await session("ENDED", at(30));
    const [reader, other] = await insertUsers(services, 2, { role: "ADMIN", emailPrefix: "reports-csv-reader" });
    for (let i = 0; i < 5; i++) await as(reader!).session.attendanceCsv({ sessionId });
    const over = await callOverHttp({
      path: "session.attendanceCsv",
      type: "query",
      input: { sessionId },
      context: () => context({ ...reader!, familyId: "00000000-0000-4000-8000-000000000000" }),
    });
    expect({ status: over.status, reason: over.error?.data.reason }).toEqual({ status: 429, reason: "RATE_LIMITED" });
    expect(over.error?.data.retryAfterMs).toBeGreaterThan(0);
    // Someone else's budget is their own; ten seconds later the reader has one more.
    await expect(as(other!).session.attendanceCsv({ sessionId })).resolves.toMatchObject({
      filename: expect.any(String),
    });
    now += 10_000;
    try {
      await expect(as(reader!).session.attendanceCsv({ sessionId })).resolves.toMatchObject({
        filename: expect.any(String),
      });
    } finally {
      now -= 10_000;
    }
  });
});

describe("session.ratings", () => {
  test("average, distribution and every rating with its comment, latest first", async () => {
    const sessionId = await session("ENDED", at(60));
    const [ana, ben, cy] = students as [Person, Person, Person];
    await services.db.sessionRating.createMany({
      data: [
        { sessionId, userId: ana.id, stars: 5, comment: "Great", updatedAt: at(61) },
        { sessionId, userId: ben.id, stars: 4, comment: null, updatedAt: at(63) },
        { sessionId, userId: cy.id, stars: 2, comment: "Too fast", updatedAt: at(62) },
      ],
    });
    const ratings = await as(teacher).session.ratings({ sessionId });
    expect(ratings).toMatchObject({ average: 3.7, count: 3, distribution: [0, 1, 0, 1, 1] });
    expect(ratings.items.map((item) => [item.userId, item.stars, item.comment])).toEqual([
      [ben.id, 4, null],
      [cy.id, 2, "Too fast"],
      [ana.id, 5, "Great"],
    ]);
    expect(ratings.items[0]!.ratedAt).toEqual(at(63));
  });

  test("no ratings yet", async () => {
    const sessionId = await session("ENDED", at(60));
    expect(await as(admin).session.ratings({ sessionId })).toEqual({
      average: null,
      count: 0,
      distribution: [0, 0, 0, 0, 0],
      items: [],
    });
  });
});

describe("who may read the reports", () => {
  test("the course's instructor and admins; other instructors and students are FORBIDDEN; unknown sessions NOT_FOUND", async () => {
    const sessionId = await session("ENDED", at(60));
    for (const procedure of ["attendance", "ratings", "attendanceCsv"] as const) {
      await expect(as(teacher).session[procedure]({ sessionId })).resolves.toBeDefined();
      await expect(as(admin).session[procedure]({ sessionId })).resolves.toBeDefined();
      expect(await failureOf(as(otherTeacher).session[procedure]({ sessionId }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
      expect(await failureOf(as(students[0]!).session[procedure]({ sessionId }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
      expect(await failureOf(createCaller(context()).session[procedure]({ sessionId }))).toMatchObject({
        code: "UNAUTHORIZED",
      });
      expect(
        await failureOf(as(admin).session[procedure]({ sessionId: "00000000-0000-4000-8000-000000000009" })),
      ).toEqual({
        code: "NOT_FOUND",
        reason: "SESSION_NOT_FOUND",
      });
    }
  });

  test("malformed input never causes a 500", async () => {
    const sessionId = await session("ENDED", at(60));
    // `limit` is left out of the spoiled fields: a random integer is often a valid limit.
    for (const path of ["session.attendance", "session.ratings"]) {
      await assertRejectsMalformedInput({
        path,
        type: "query",
        valid: { sessionId },
        context: () => context({ ...teacher, familyId: crypto.randomUUID() }),
        numRuns: 15,
      });
    }
    // A limit out of range or not an integer is a 400, never a 500.
    for (const limit of [0, 1_001, 2.5, "10", null]) {
      const answer = await callOverHttp({
        path: "session.attendance",
        type: "query",
        input: { sessionId, limit },
        raw: true,
        context: () => context({ ...teacher, familyId: crypto.randomUUID() }),
      });
      expect(answer.status).toBe(400);
    }
  });
});
