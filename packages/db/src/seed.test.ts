import { fileURLToPath } from "node:url";
import { createTestDatabase, runToCompletion } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import { createDb, type Db } from "./client";
import { DEMO_LOGINS, DEMO_PASSWORD_HASH, seed, seedId } from "./seed";

// DATABASE_URL is this file's own clone of the migrated template (see @livehall/testing).
const db = createDb(process.env.DATABASE_URL!);
afterAll(() => db.$disconnect());

const TABLES = [
  "User",
  "RefreshToken",
  "Course",
  "LiveSession",
  "SessionParticipant",
  "SessionRating",
  "Enrollment",
  "CourseInvitation",
  "_prisma_migrations",
];

async function tableCounts(client: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const [row] = await client.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table}"`);
    counts[table] = row!.n;
  }
  return counts;
}

async function activeDuplicates(client: Db): Promise<number> {
  const [row] = await client.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM "SessionParticipant" WHERE "leftAt" IS NULL GROUP BY "sessionId", "userId" HAVING count(*) > 1
    ) AS dup`;
  return row!.n;
}

describe("seed", () => {
  test("seeding twice (and concurrently) creates the same rows as seeding once", async () => {
    const first = await seed(db);
    const afterFirst = await tableCounts(db);
    expect(first.created).toBeGreaterThan(0);
    expect(first.skipped).toEqual([]);

    const second = await seed(db);
    expect(await tableCounts(db)).toEqual(afterFirst);
    expect(second).toEqual({ ...first, created: 0 });

    const concurrent = await Promise.all([seed(db), seed(db), seed(db)]);
    expect(concurrent.map((result) => result.created)).toEqual([0, 0, 0]);
    expect(await tableCounts(db)).toEqual(afterFirst);

    expect(afterFirst).toMatchObject({
      User: first.users,
      Course: first.courses,
      LiveSession: 14,
      SessionParticipant: first.activeParticipants + first.pastParticipants,
      SessionRating: first.ratings,
      RefreshToken: 0,
      Enrollment: first.enrollments,
      CourseInvitation: first.invitations,
    });
  });

  test("one course of each enrollment policy; attendees are enrolled, instructors never", async () => {
    await seed(db);
    const courses = await db.course.findMany({
      include: { enrollments: true, invitations: true, sessions: { include: { participants: true } } },
    });
    expect(new Set(courses.map((course) => course.enrollmentPolicy))).toEqual(new Set(["OPEN", "INVITE", "CLOSED"]));
    for (const course of courses) {
      const enrolled = new Set(course.enrollments.map((row) => row.userId));
      expect(enrolled.has(course.instructorId)).toBe(false);
      const admin = await db.user.findUniqueOrThrow({ where: { email: "admin@livehall.dev" } });
      for (const participant of course.sessions.flatMap((session) => session.participants)) {
        if (participant.userId !== admin.id) expect(enrolled.has(participant.userId)).toBe(true);
      }
    }
    const invite = courses.find((course) => course.enrollmentPolicy === "INVITE")!;
    expect(invite.inviteCode).toMatch(/^[A-Z2-9]{10}$/);
    const closed = courses.find((course) => course.enrollmentPolicy === "CLOSED")!;
    expect(closed.invitations.map((row) => row.email)).toEqual(["guest.engineer@livehall.dev"]);
    // The demo student is enrolled in the invite-only course, not in the closed one.
    const student = await db.user.findUniqueOrThrow({ where: { email: "student@livehall.dev" } });
    expect(invite.enrollments.map((row) => row.userId)).toContain(student.id);
    expect(closed.enrollments.map((row) => row.userId)).not.toContain(student.id);
  });

  test("the three demo logins exist with their roles and the argon2id hash of the demo password", async () => {
    await seed(db);
    for (const login of DEMO_LOGINS) {
      const user = await db.user.findUniqueOrThrow({ where: { email: login.email } });
      expect(user).toMatchObject({ role: login.role, name: login.name });
      expect(user.passwordHash).toBe(DEMO_PASSWORD_HASH);
      expect(user.passwordHash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    }
    // The e-mail column is citext: the demo login matches whatever the case.
    expect(await db.user.findUnique({ where: { email: "Student@LiveHall.dev" } })).toMatchObject({ role: "STUDENT" });
    expect(await db.user.count({ where: { role: "INSTRUCTOR" } })).toBe(2);
    expect(await db.user.count({ where: { role: "STUDENT" } })).toBeGreaterThanOrEqual(9);
  });

  test("a later run never overwrites a seeded user's password hash", async () => {
    await seed(db);
    const admin = await db.user.findUniqueOrThrow({ where: { email: "admin@livehall.dev" } });
    await db.user.update({ where: { id: admin.id }, data: { passwordHash: "$argon2id$changed-by-its-owner" } });
    await seed(db);
    expect((await db.user.findUniqueOrThrow({ where: { id: admin.id } })).passwordHash).toBe(
      "$argon2id$changed-by-its-owner",
    );
  });

  test("sessions have the expected statuses and times relative to now", async () => {
    const now = Date.now();
    await seed(db, { now });
    const sessions = await db.liveSession.findMany({ include: { participants: true, ratings: true } });
    const byStatus = (status: string) => sessions.filter((session) => session.status === status);

    expect(byStatus("LIVE")).toHaveLength(2);
    expect(byStatus("SCHEDULED")).toHaveLength(6);
    expect(byStatus("ENDED")).toHaveLength(5);
    expect(byStatus("CANCELLED")).toHaveLength(1);

    for (const session of byStatus("LIVE")) {
      expect(session.startedAt!.getTime()).toBeLessThan(now);
      expect(session.startedAt!.getTime()).toBeGreaterThan(now - 30 * 60_000);
      expect(session.startsAt.getTime()).toBeLessThanOrEqual(session.startedAt!.getTime());
      expect(session.endedAt).toBeNull();
      expect(session.participants.filter((p) => p.leftAt === null).length).toBeGreaterThanOrEqual(3);
    }
    for (const session of byStatus("SCHEDULED")) {
      expect(session.startsAt.getTime()).toBeGreaterThan(now);
      expect(session.startedAt).toBeNull();
      expect(session.participants).toEqual([]);
    }
    for (const session of byStatus("ENDED")) {
      expect(session.endedAt!.getTime()).toBeLessThan(now);
      expect(session.startedAt!.getTime()).toBeLessThan(session.endedAt!.getTime());
      expect(session.participants.length).toBeGreaterThan(0);
      for (const participant of session.participants) {
        expect(participant.leftAt).not.toBeNull();
        expect(["LEFT", "ENDED", "TIMEOUT"]).toContain(participant.leaveReason);
      }
      expect(session.ratings.length).toBeGreaterThan(0);
      for (const rating of session.ratings) {
        expect(rating.stars).toBeGreaterThanOrEqual(1);
        expect(rating.stars).toBeLessThanOrEqual(5);
        // Only people who were there rate a session.
        expect(session.participants.map((p) => p.userId)).toContain(rating.userId);
      }
    }
    expect(byStatus("CANCELLED")[0]!.startedAt).toBeNull();
    expect(await activeDuplicates(db)).toBe(0);
  });

  test("a later run moves the seeded times along with the clock, without adding rows", async () => {
    const counts = await tableCounts(db);
    const later = Date.now() + 3 * 24 * 60 * 60_000;
    await seed(db, { now: later });
    expect(await tableCounts(db)).toEqual(counts);
    for (const session of await db.liveSession.findMany({ where: { status: "SCHEDULED" } })) {
      expect(session.startsAt.getTime()).toBeGreaterThan(later);
    }
    for (const session of await db.liveSession.findMany({ where: { status: "LIVE" } })) {
      expect(later - session.startedAt!.getTime()).toBeLessThan(30 * 60_000);
    }
    await seed(db);
  });

  test("never a second active participant row; rows the seed did not create are left alone", async () => {
    await seed(db);
    const liveId = seedId("session:live-generics");
    const student = await db.user.findUniqueOrThrow({ where: { email: "student@livehall.dev" } });
    const mei = await db.user.findUniqueOrThrow({ where: { email: "mei.tanaka@livehall.dev" } });

    // Someone who is not seed data joins a seeded live session and rates an ended one.
    const visitor = await db.user.create({
      data: { email: "visitor@example.test", name: "Visitor", passwordHash: "x" },
    });
    const visit = await db.sessionParticipant.create({ data: { sessionId: liveId, userId: visitor.id } });
    const endedId = seedId("session:ended-transactions");
    const foreignRating = await db.sessionRating.create({
      data: { sessionId: endedId, userId: visitor.id, stars: 1, comment: "mine" },
    });

    // The worker times out the seeded student (no live connection); Mei joins the live session for real.
    const seededStudentRow = await db.sessionParticipant.findFirstOrThrow({
      where: { sessionId: liveId, userId: student.id, leftAt: null },
    });
    await db.sessionParticipant.update({
      where: { id: seededStudentRow.id },
      data: { leftAt: new Date(), leaveReason: "TIMEOUT" },
    });
    const meiJoin = await db.sessionParticipant.create({ data: { sessionId: liveId, userId: mei.id } });

    // And a seeded student's rating is replaced by one they made in the app (a row the seed did not create).
    const priya = await db.user.findUniqueOrThrow({ where: { email: "priya.raman@livehall.dev" } });
    await db.sessionRating.delete({ where: { sessionId_userId: { sessionId: endedId, userId: priya.id } } });
    const priyaOwn = await db.sessionRating.create({
      data: { sessionId: endedId, userId: priya.id, stars: 2, comment: "changed my mind" },
    });

    const before = {
      visitor: await db.user.findUniqueOrThrow({ where: { id: visitor.id } }),
      visit,
      foreignRating,
      meiJoin,
      priyaOwn,
    };
    const counts = await tableCounts(db);

    const result = await seed(db);

    // The seed's own closed row was re-opened (no new row); nothing else was added or changed.
    expect(await tableCounts(db)).toEqual(counts);
    expect(result.created).toBe(0);
    expect(await db.sessionParticipant.findUniqueOrThrow({ where: { id: seededStudentRow.id } })).toMatchObject({
      leftAt: null,
      leaveReason: null,
    });
    expect(await db.user.findUniqueOrThrow({ where: { id: visitor.id } })).toEqual(before.visitor);
    expect(await db.sessionParticipant.findUniqueOrThrow({ where: { id: visit.id } })).toEqual(before.visit);
    expect(await db.sessionParticipant.findUniqueOrThrow({ where: { id: meiJoin.id } })).toEqual(before.meiJoin);
    expect(await db.sessionRating.findUniqueOrThrow({ where: { id: foreignRating.id } })).toEqual(before.foreignRating);
    expect(await db.sessionRating.findUniqueOrThrow({ where: { id: priyaOwn.id } })).toEqual(before.priyaOwn);
    expect(await activeDuplicates(db)).toBe(0);

    // A seeded row closed while the user has another active row stays closed: still one active row.
    const seededRow = await db.sessionParticipant.findFirstOrThrow({
      where: { sessionId: liveId, userId: student.id, leftAt: null },
    });
    await db.sessionParticipant.update({
      where: { id: seededRow.id },
      data: { leftAt: new Date(), leaveReason: "LEFT" },
    });
    const rejoin = await db.sessionParticipant.create({ data: { sessionId: liveId, userId: student.id } });
    await seed(db);
    expect(
      await db.sessionParticipant.findMany({ where: { sessionId: liveId, userId: student.id, leftAt: null } }),
    ).toEqual([expect.objectContaining({ id: rejoin.id })]);
    expect(await activeDuplicates(db)).toBe(0);
  });
});

test("a demo e-mail or course slug already taken by a row the seed did not create: that entry is skipped, not overwritten", async () => {
  const database = await createTestDatabase();
  const other = createDb(database.url);
  try {
    const squatter = await other.user.create({
      data: { email: "INSTRUCTOR@livehall.dev", name: "Someone Else", passwordHash: "theirs", role: "STUDENT" },
    });
    const admin = await other.user.create({
      data: { email: "boss@example.test", name: "Boss", passwordHash: "x", role: "ADMIN" },
    });
    const course = await other.course.create({
      data: { slug: "introduction-to-machine-learning", title: "Their ML course", instructorId: admin.id },
    });

    const result = await seed(other);

    expect(result.skipped).toEqual([
      "user instructor@livehall.dev (the e-mail belongs to an account the seed did not create)",
      "course typescript-in-practice (its instructor was skipped)",
      "course postgres-for-application-developers (its instructor was skipped)",
      "course web-accessibility-fundamentals (its instructor was skipped)",
      "course introduction-to-machine-learning (the slug belongs to a course the seed did not create)",
      "course product-design-critique-lab (its instructor was skipped)",
      "session live-generics (its course was skipped)",
      "session live-gradient-descent (its course was skipped)",
      "session upcoming-indexes (its course was skipped)",
      "session upcoming-keyboard (its course was skipped)",
      "session upcoming-typesafe-apis (its course was skipped)",
      "session ended-transactions (its course was skipped)",
      "session ended-linear-regression (its course was skipped)",
      "session ended-screen-readers (its course was skipped)",
      "session ended-narrowing (its course was skipped)",
      "session upcoming-onboarding-critique (its course was skipped)",
      "session ended-empty-states (its course was skipped)",
    ]);
    expect(await other.user.findUniqueOrThrow({ where: { id: squatter.id } })).toEqual(squatter);
    expect(await other.course.findUniqueOrThrow({ where: { id: course.id } })).toEqual(course);
    expect(await other.liveSession.count({ where: { courseId: course.id } })).toBe(0);
    expect(result.sessions).toEqual({ LIVE: 0, SCHEDULED: 2, ENDED: 0, CANCELLED: 1 });
    expect(await other.user.findUniqueOrThrow({ where: { email: "student@livehall.dev" } })).toMatchObject({
      role: "STUDENT",
    });
  } finally {
    await other.$disconnect();
    await database.drop();
  }
});

test("the seed CLI prints a short summary and exits 0", async () => {
  const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
  const run = await runToCompletion(tsx, ["src/cli/seed.ts"], { cwd: fileURLToPath(new URL("..", import.meta.url)) });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(
    /Seeded .*: 12 users, 7 courses, 14 sessions \(2 live, 6 upcoming, 5 ended, 1 cancelled\)/,
  );
  expect(run.stdout.trim().split("\n").length).toBeLessThanOrEqual(3);
}, 30_000);
