import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { reasonOf } from "../errors";
import { callOverHttp } from "../testing/http";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { enrollUsers } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";
import { createCallerFactory, createTRPCRouter } from "../trpc";
import { sessionCatalogRouter } from "./session-catalog";

// Every clock read is a new millisecond, so a startedAt written twice would show.
let tick = 0;
const { services, context, close } = createTestServices({}, { clock: () => new Date(Date.now() + ++tick) });
afterAll(close);

const router = createTRPCRouter({ session: sessionCatalogRouter });
const createCaller = createCallerFactory(router);

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none" }),
    (error: TRPCError) => ({ code: error.code, reason: reasonOf(error) }),
  );

const as = (user: { id: string; role: SessionUser["role"] }) =>
  createCaller(context({ ...user, familyId: "00000000-0000-4000-8000-000000000000" }));
const anonymous = createCaller(context());
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000001";

type Person = { id: string; role: SessionUser["role"] };
let ada: Person, grace: Person, admin: Person, student: Person, otherStudent: Person;
let adaCourse: string, graceCourse: string;

beforeAll(async () => {
  const teachers = await insertUsers(services, 2, { role: "INSTRUCTOR", emailPrefix: "teacher" });
  const students = await insertUsers(services, 2, { role: "STUDENT", emailPrefix: "student" });
  [ada, grace, student, otherStudent] = [teachers[0]!, teachers[1]!, students[0]!, students[1]!];
  admin = (await insertUsers(services, 1, { role: "ADMIN", emailPrefix: "admin" }))[0]!;
  adaCourse = (
    await services.db.course.create({ data: { slug: "ada-course", title: "Ada's course", instructorId: ada.id } })
  ).id;
  graceCourse = (
    await services.db.course.create({ data: { slug: "grace-course", title: "Grace's course", instructorId: grace.id } })
  ).id;
});

const inAnHour = () => new Date(Date.now() + 60 * 60_000);
const newSession = (courseId: string, title = "A session") =>
  as(admin).session.create({ courseId, title, startsAt: inAnHour(), plannedDurationMinutes: 45 });

async function sessionWithStatus(status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED", courseId = adaCourse) {
  const { id } = await services.db.liveSession.create({
    data: {
      courseId,
      title: `${status} session`,
      status,
      startsAt: new Date(),
      plannedDurationMinutes: 30,
      ...(status === "LIVE" ? { startedAt: new Date() } : {}),
    },
  });
  return id;
}

describe("session.create", () => {
  test("the course's instructor schedules a session; the answer is the catalog view", async () => {
    const startsAt = inAnHour();
    const session = await as(ada).session.create({
      courseId: adaCourse,
      title: "  Pointers  ",
      description: "Bring questions.",
      startsAt,
      plannedDurationMinutes: 90,
    });
    expect(session).toMatchObject({
      title: "Pointers",
      description: "Bring questions.",
      status: "SCHEDULED",
      startsAt,
      plannedDurationMinutes: 90,
      startedAt: null,
      endedAt: null,
      course: { id: adaCourse, title: "Ada's course", slug: "ada-course" },
      instructor: { id: ada.id },
      participantCount: 0,
      rating: { average: null, count: 0 },
    });
    expect(await as(student).session.byId({ sessionId: session.id })).toEqual(session);
  });

  test("an admin may schedule on any course; another instructor, a student or nobody may not", async () => {
    await expect(newSession(graceCourse)).resolves.toMatchObject({ course: { id: graceCourse } });
    const input = { courseId: adaCourse, title: "Not yours", startsAt: inAnHour(), plannedDurationMinutes: 30 };
    expect(await failureOf(as(grace).session.create(input))).toEqual({ code: "FORBIDDEN", reason: "FORBIDDEN" });
    expect(await failureOf(as(student).session.create(input))).toEqual({ code: "FORBIDDEN", reason: "FORBIDDEN" });
    expect(await failureOf(anonymous.session.create(input))).toEqual({
      code: "UNAUTHORIZED",
      reason: "UNAUTHENTICATED",
    });
    expect(await failureOf(as(ada).session.create({ ...input, courseId: UNKNOWN_ID }))).toEqual({
      code: "NOT_FOUND",
      reason: "COURSE_NOT_FOUND",
    });
  });

  test("starts from five minutes ago on; duration 5–600 minutes; an ISO string is accepted", async () => {
    const input = { courseId: adaCourse, title: "Timing", plannedDurationMinutes: 30 };
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    await expect(as(ada).session.create({ ...input, startsAt: ago(4) })).resolves.toMatchObject({
      status: "SCHEDULED",
    });
    expect(await failureOf(as(ada).session.create({ ...input, startsAt: ago(6) }))).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
    expect(
      await failureOf(as(ada).session.create({ ...input, startsAt: new Date(Date.now() + 3 * 365 * 86_400_000) })),
    ).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
    for (const plannedDurationMinutes of [4, 601, 30.5]) {
      expect(
        await failureOf(as(ada).session.create({ ...input, startsAt: inAnHour(), plannedDurationMinutes })),
      ).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    }
    const iso = inAnHour();
    const answer = await callOverHttp({
      path: "session.create",
      type: "mutation",
      raw: true,
      input: { ...input, startsAt: iso.toISOString() },
      router,
      context: () => context({ ...ada, familyId: "f" }),
    });
    expect(answer.status).toBe(200);
    expect((answer.data as { startsAt: Date }).startsAt).toEqual(iso);
  });
});

describe("session.start", () => {
  // These sessions are planned an hour ahead: starting them is an early start, confirmed.
  test("SCHEDULED → LIVE with startedAt; starting again answers the same live session", async () => {
    const { id } = await newSession(adaCourse);
    const first = await as(ada).session.start({ sessionId: id, early: true });
    expect(first).toMatchObject({ id, status: "LIVE" });
    expect(first.startedAt).toBeInstanceOf(Date);
    const again = await as(ada).session.start({ sessionId: id, early: true });
    expect(again.startedAt).toEqual(first.startedAt);
  });

  test("only the course's instructor or an admin", async () => {
    const { id } = await newSession(adaCourse);
    expect(await failureOf(as(grace).session.start({ sessionId: id, early: true }))).toEqual({
      code: "FORBIDDEN",
      reason: "FORBIDDEN",
    });
    expect(await failureOf(as(student).session.start({ sessionId: id, early: true }))).toEqual({
      code: "FORBIDDEN",
      reason: "FORBIDDEN",
    });
    expect(await failureOf(anonymous.session.start({ sessionId: id, early: true }))).toEqual({
      code: "UNAUTHORIZED",
      reason: "UNAUTHENTICATED",
    });
    expect((await services.db.liveSession.findUniqueOrThrow({ where: { id } })).status).toBe("SCHEDULED");
    await expect(as(admin).session.start({ sessionId: id, early: true })).resolves.toMatchObject({ status: "LIVE" });
    expect(await failureOf(as(ada).session.start({ sessionId: UNKNOWN_ID }))).toEqual({
      code: "NOT_FOUND",
      reason: "SESSION_NOT_FOUND",
    });
  });

  test("an ended or cancelled session cannot start again", async () => {
    for (const status of ["ENDED", "CANCELLED"] as const) {
      const id = await sessionWithStatus(status);
      expect(await failureOf(as(ada).session.start({ sessionId: id, early: true }))).toEqual({
        code: "CONFLICT",
        reason: "SESSION_NOT_STARTABLE",
      });
      expect((await services.db.liveSession.findUniqueOrThrow({ where: { id } })).status).toBe(status);
    }
  });

  test("20 concurrent starts: one transition, startedAt written once, every caller sees the same live session", async () => {
    const { id } = await newSession(adaCourse);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => as(i % 2 ? ada : admin).session.start({ sessionId: id, early: true })),
    );
    const row = await services.db.liveSession.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe("LIVE");
    expect(new Set(answers.map((answer) => answer.startedAt?.getTime()))).toEqual(new Set([row.startedAt!.getTime()]));
    expect(answers.every((answer) => answer.status === "LIVE")).toBe(true);
  });
});

describe("session.byId", () => {
  test("public; an unknown id is SESSION_NOT_FOUND", async () => {
    const { id } = await newSession(graceCourse, "Public view");
    await expect(anonymous.session.byId({ sessionId: id })).resolves.toMatchObject({ id, title: "Public view" });
    expect(await failureOf(anonymous.session.byId({ sessionId: UNKNOWN_ID }))).toEqual({
      code: "NOT_FOUND",
      reason: "SESSION_NOT_FOUND",
    });
  });
});

describe("session.rate and session.myRating", () => {
  const MINUTE = 60_000;
  /**
   * A visit of `ms` (two minutes unless said), ended just now or still going on. Joining a session of
   * an open course enrolls a student (not an admin, not the course's instructor), so the visit does too.
   */
  async function attended(
    sessionId: string,
    userId: string,
    { active = false, ms = 2 * MINUTE, leaveReason = "LEFT" as "LEFT" | "DUPLICATE" } = {},
  ) {
    const now = Date.now();
    const { course } = await services.db.liveSession.findUniqueOrThrow({
      where: { id: sessionId },
      select: { course: { select: { id: true, instructorId: true } } },
    });
    if (userId !== admin.id && userId !== course.instructorId) await enrollUsers(services, course.id, [{ id: userId }]);
    await services.db.sessionParticipant.create({
      data: {
        sessionId,
        userId,
        joinedAt: new Date(now - ms),
        ...(active ? {} : { leftAt: new Date(now), leaveReason }),
      },
    });
  }

  test("an attendee rates a live or ended session; rating again updates the one rating", async () => {
    const live = await sessionWithStatus("LIVE");
    await attended(live, student.id, { active: true });
    expect(await as(student).session.myRating({ sessionId: live })).toBeNull();
    const first = await as(student).session.rate({ sessionId: live, stars: 4, comment: "  Clear and friendly.  " });
    expect(first).toMatchObject({ sessionId: live, stars: 4, comment: "Clear and friendly." });
    const second = await as(student).session.rate({ sessionId: live, stars: 5, comment: "   " });
    expect(second).toMatchObject({ sessionId: live, stars: 5, comment: null });
    expect(second.createdAt).toEqual(first.createdAt);
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(await services.db.sessionRating.count({ where: { sessionId: live } })).toBe(1);
    expect(await as(student).session.myRating({ sessionId: live })).toEqual(second);
    expect((await anonymous.session.byId({ sessionId: live })).rating).toEqual({ average: 5, count: 1 });

    const ended = await sessionWithStatus("ENDED");
    await attended(ended, student.id);
    await expect(as(student).session.rate({ sessionId: ended, stars: 3 })).resolves.toMatchObject({
      stars: 3,
      comment: null,
    });
  });

  test("concurrent ratings by one attendee leave one row", async () => {
    const ended = await sessionWithStatus("ENDED");
    await attended(ended, otherStudent.id);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => as(otherStudent).session.rate({ sessionId: ended, stars: 1 + (i % 5) })),
    );
    expect(await services.db.sessionRating.count({ where: { sessionId: ended } })).toBe(1);
  });

  test("only attendees; not before the session is live nor when cancelled", async () => {
    const live = await sessionWithStatus("LIVE");
    expect(await failureOf(as(otherStudent).session.rate({ sessionId: live, stars: 5 }))).toEqual({
      code: "FORBIDDEN",
      reason: "NOT_AN_ATTENDEE",
    });
    expect(await failureOf(as(admin).session.rate({ sessionId: live, stars: 5 }))).toEqual({
      code: "FORBIDDEN",
      reason: "NOT_AN_ATTENDEE",
    });
    for (const status of ["SCHEDULED", "CANCELLED"] as const) {
      const id = await sessionWithStatus(status);
      await attended(id, student.id);
      expect(await failureOf(as(student).session.rate({ sessionId: id, stars: 5 }))).toEqual({
        code: "CONFLICT",
        reason: "SESSION_NOT_RATEABLE",
      });
    }
    expect(await failureOf(as(student).session.rate({ sessionId: UNKNOWN_ID, stars: 5 }))).toEqual({
      code: "NOT_FOUND",
      reason: "SESSION_NOT_FOUND",
    });
    expect(await failureOf(as(student).session.myRating({ sessionId: UNKNOWN_ID }))).toEqual({
      code: "NOT_FOUND",
      reason: "SESSION_NOT_FOUND",
    });
    expect(await failureOf(anonymous.session.rate({ sessionId: live, stars: 5 }))).toEqual({
      code: "UNAUTHORIZED",
      reason: "UNAUTHENTICATED",
    });
    expect(await failureOf(anonymous.session.myRating({ sessionId: live }))).toEqual({
      code: "UNAUTHORIZED",
      reason: "UNAUTHENTICATED",
    });
  });

  test("who may rate: students enrolled in the course, not its instructor, with at least a minute of attendance in total", async () => {
    const eligibility = (person: Person, sessionId: string) => as(person).session.ratingEligibility({ sessionId });
    const refused = (reason: string) => ({ canRate: false, reason, message: expect.any(String) });
    const allowed = { canRate: true, reason: null, message: null };
    const live = await sessionWithStatus("LIVE");

    // The course's own instructor, however long they were in the room.
    await attended(live, ada.id, { ms: 30 * MINUTE });
    expect(await eligibility(ada, live)).toEqual(refused("RATING_NOT_ALLOWED"));
    expect(await failureOf(as(ada).session.rate({ sessionId: live, stars: 5 }))).toEqual({
      code: "FORBIDDEN",
      reason: "RATING_NOT_ALLOWED",
    });

    // Another course's instructor who attended (and so enrolled) rates like anyone else.
    await attended(live, grace.id);
    expect(await eligibility(grace, live)).toEqual(allowed);
    await expect(as(grace).session.rate({ sessionId: live, stars: 4 })).resolves.toMatchObject({ stars: 4 });
    // An admin may be in any room without enrolling, but ratings are the enrolled students' (020).
    await attended(live, admin.id);
    expect(await eligibility(admin, live)).toEqual(refused("NOT_ENROLLED"));
    await enrollUsers(services, adaCourse, [admin]);
    await expect(as(admin).session.rate({ sessionId: live, stars: 4 })).resolves.toMatchObject({ stars: 4 });
    // A student who attended and then left the course no longer may.
    const ended = await sessionWithStatus("ENDED");
    await attended(ended, grace.id);
    await services.db.enrollment.delete({ where: { courseId_userId: { courseId: adaCourse, userId: grace.id } } });
    expect(await failureOf(as(grace).session.rate({ sessionId: ended, stars: 3 }))).toEqual({
      code: "FORBIDDEN",
      reason: "NOT_ENROLLED",
    });

    // Under a minute is not enough; the visits add up (an open visit counts until now).
    await attended(live, otherStudent.id, { ms: 30_000 });
    expect(await eligibility(otherStudent, live)).toEqual(refused("NOT_ENOUGH_ATTENDANCE"));
    expect(await failureOf(as(otherStudent).session.rate({ sessionId: live, stars: 2 }))).toEqual({
      code: "FORBIDDEN",
      reason: "NOT_ENOUGH_ATTENDANCE",
    });
    // A duplicate row (closed by the reconcile) adds nothing.
    await attended(live, otherStudent.id, { ms: 10 * MINUTE, leaveReason: "DUPLICATE" });
    expect(await eligibility(otherStudent, live)).toEqual(refused("NOT_ENOUGH_ATTENDANCE"));
    await attended(live, otherStudent.id, { ms: 31_000, active: true });
    expect(await eligibility(otherStudent, live)).toEqual(allowed);
    await expect(as(otherStudent).session.rate({ sessionId: live, stars: 2 })).resolves.toMatchObject({ stars: 2 });
    expect(await services.db.sessionRating.count({ where: { sessionId: live } })).toBe(3);

    // Nobody, attendee or not, before the session is live; an unknown session is not found.
    const scheduled = await sessionWithStatus("SCHEDULED");
    expect(await eligibility(student, scheduled)).toEqual(refused("SESSION_NOT_RATEABLE"));
    expect(await eligibility(student, live)).toEqual(refused("NOT_AN_ATTENDEE"));
    expect(await failureOf(eligibility(student, UNKNOWN_ID))).toEqual({
      code: "NOT_FOUND",
      reason: "SESSION_NOT_FOUND",
    });
    expect(await failureOf(anonymous.session.ratingEligibility({ sessionId: live }))).toEqual({
      code: "UNAUTHORIZED",
      reason: "UNAUTHENTICATED",
    });
  });

  test("stars outside 1–5 or fractional, or a comment over 2,000 characters, are bad requests", async () => {
    const live = await sessionWithStatus("LIVE");
    await attended(live, student.id);
    for (const stars of [0, 6, -1, 4.5]) {
      expect(await failureOf(as(student).session.rate({ sessionId: live, stars }))).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    }
    expect(
      await failureOf(as(student).session.rate({ sessionId: live, stars: 3, comment: "x".repeat(2_001) })),
    ).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
    expect(await services.db.sessionRating.count({ where: { sessionId: live } })).toBe(0);
  });
});

describe("malformed input never causes a 500", () => {
  const UUID = "00000000-0000-4000-8000-000000000002";
  interface Procedure {
    path: string;
    type: "query" | "mutation";
    valid: Record<string, unknown>;
    required: string[];
    /** Per field: "wrong" values that are in fact valid there (skipped). */
    lenient?: Record<string, (value: unknown) => boolean>;
  }
  const shortText = (value: unknown) => typeof value === "string" && value.length <= 5_000 && !value.includes("\u0000");
  const intIn = (min: number, max: number) => (value: unknown) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
  const procedures: Procedure[] = [
    {
      path: "session.create",
      type: "mutation",
      // z.coerce.date turns numbers, null or booleans into dates long past: the service answers 400 for those too.
      valid: {
        courseId: UUID,
        title: "T",
        description: "D",
        startsAt: new Date(Date.now() + 3_600_000).toISOString(),
        plannedDurationMinutes: 30,
      },
      required: ["courseId", "title", "startsAt", "plannedDurationMinutes"],
      lenient: { title: shortText, description: shortText, plannedDurationMinutes: intIn(5, 600) },
    },
    { path: "session.start", type: "mutation", valid: { sessionId: UUID }, required: ["sessionId"] },
    { path: "session.byId", type: "query", valid: { sessionId: UUID }, required: ["sessionId"] },
    { path: "session.myRating", type: "query", valid: { sessionId: UUID }, required: ["sessionId"] },
    {
      path: "session.rate",
      type: "mutation",
      valid: { sessionId: UUID, stars: 3, comment: "ok" },
      required: ["sessionId", "stars"],
      lenient: { stars: intIn(1, 5), comment: (value) => value === null || shortText(value) },
    },
    {
      path: "session.list",
      type: "query",
      valid: { tab: "live", search: "x", courseId: UUID, cursor: "not ours", limit: 5 },
      required: [],
      // Any cursor string reaches the service, which answers 400 for one it did not issue.
      lenient: { search: (value) => typeof value === "string" && value.length <= 100, limit: intIn(1, 50) },
    },
    { path: "session.stats", type: "query", valid: {}, required: [] },
  ];

  for (const procedure of procedures) {
    test(`${procedure.path}: wrong, missing and extra fields answer 400 INVALID_INPUT; any JSON value below 500`, async () => {
      await assertRejectsMalformedInput({
        ...procedure,
        router,
        extraWrongValues: ["", "not-a-uuid", "a\u0000b", "00000000-0000-0000-0000-00000000000g"],
        context: () => context({ ...admin, familyId: "f" }),
        numRuns: 60,
      });
    });
  }
});
