import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { atOf, reasonOf } from "../errors";
import { createCaller } from "../root";
import { assertRejectsMalformedInput, type MalformedInputOptions } from "../testing/fuzz";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";

// A fixed "now" the week before Europe's and America's spring daylight saving changes (2030-03-31
// in Berlin, 2030-03-10 in New York), so every series below crosses one.
const NOW = new Date("2030-03-01T12:00:00.000Z");
const { services, context, close } = createTestServices({}, { clock: () => NOW });
afterAll(close);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
type Person = { id: string; role: SessionUser["role"] };
const as = (user: Person) => createCaller(context({ ...user, familyId: "00000000-0000-4000-8000-000000000000" }));
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none" }),
    (error: TRPCError) => ({ code: error.code, reason: reasonOf(error) }),
  );

let ada: Person, grace: Person, admin: Person, student: Person;
let courseId: string;

beforeAll(async () => {
  const teachers = await insertUsers(services, 2, { role: "INSTRUCTOR", emailPrefix: "sched-teacher" });
  [ada, grace] = [teachers[0]!, teachers[1]!];
  admin = (await insertUsers(services, 1, { role: "ADMIN", emailPrefix: "sched-admin" }))[0]!;
  student = (await insertUsers(services, 1, { role: "STUDENT", emailPrefix: "sched-student" }))[0]!;
  courseId = (await services.db.course.create({ data: { slug: "sched", title: "Scheduling", instructorId: ada.id } }))
    .id;
});

async function sessionWithStatus(status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED", startsAt = NOW) {
  const { id } = await services.db.liveSession.create({
    data: {
      courseId,
      title: `${status} session`,
      description: "What we cover",
      status,
      startsAt,
      plannedDurationMinutes: 50,
      ...(status === "SCHEDULED" ? {} : { startedAt: startsAt }),
      ...(status === "ENDED" ? { endedAt: new Date(startsAt.getTime() + HOUR) } : {}),
    },
  });
  return id;
}

describe("session.createSeries", () => {
  const series = (timeZone: string, first: Date, count = 4) =>
    as(ada).session.createSeries({
      courseId,
      title: "Weekly lab",
      description: "Hands-on",
      startsAt: first,
      plannedDurationMinutes: 90,
      count,
      timeZone,
    });

  test.each([
    // 18:30 local on Wednesdays, from the week before the change.
    ["Europe/Berlin", "2030-03-20T17:30:00.000Z", "18:30"],
    ["America/New_York", "2030-03-06T23:30:00.000Z", "18:30"],
  ])(
    "%s: four weekly sessions across the daylight saving change keep the local start time",
    async (zone, first, local) => {
      const { items } = await series(zone, new Date(first));
      expect(items).toHaveLength(4);
      const starts = items.map((item) => item.startsAt);
      // Read back with Intl directly (not the code under test): the same weekday and local time every
      // week, while the UTC offset changed between the first and the last.
      const read = (instant: Date) => ({
        wall: instant.toLocaleString("en-GB", { timeZone: zone, weekday: "long", hour: "2-digit", minute: "2-digit" }),
        offset: instant.toLocaleString("en-GB", { timeZone: zone, timeZoneName: "shortOffset" }).split(" ").at(-1),
      });
      expect(new Set(starts.map((start) => read(start).wall))).toEqual(new Set([`Wednesday ${local}`]));
      expect(read(starts[0]!).offset).not.toBe(read(starts[3]!).offset);
      for (let i = 1; i < 4; i++) {
        expect(Math.abs(starts[i]!.getTime() - starts[i - 1]!.getTime() - 7 * DAY)).toBeLessThanOrEqual(HOUR);
      }
      expect(starts[3]!.getTime() - starts[0]!.getTime()).toBe(21 * DAY - HOUR);
      expect(items.map((item) => [item.title, item.description, item.plannedDurationMinutes, item.status])).toEqual(
        Array(4).fill(["Weekly lab", "Hands-on", 90, "SCHEDULED"]),
      );
      const stored = await services.db.liveSession.findMany({ where: { id: { in: items.map((item) => item.id) } } });
      expect(stored).toHaveLength(4);
    },
  );

  test("an unknown time zone or a count out of 2–26 is a 400, and nothing is created", async () => {
    const before = await services.db.liveSession.count({ where: { courseId } });
    const first = new Date(NOW.getTime() + DAY);
    for (const timeZone of ["Mars/Olympus_Mons", "", "Europe/Berlin\u0000", "+01:00x", "x".repeat(65)]) {
      expect(await failureOf(series(timeZone, first)), timeZone).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    }
    for (const count of [0, 1, 27, 2.5, -4]) {
      expect(await failureOf(series("Europe/Berlin", first, count)), String(count)).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    }
    // A first start in the past, or a last one beyond two years ahead.
    expect(await failureOf(series("UTC", new Date(NOW.getTime() - DAY)))).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
    expect(await failureOf(series("UTC", new Date(NOW.getTime() + 729 * DAY)))).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
    expect(await services.db.liveSession.count({ where: { courseId } })).toBe(before);
  });

  test("only the course's instructor or an admin", async () => {
    const first = new Date(NOW.getTime() + DAY);
    const input = {
      courseId,
      title: "Not mine",
      startsAt: first,
      plannedDurationMinutes: 30,
      count: 2,
      timeZone: "UTC",
    };
    expect(await failureOf(as(grace).session.createSeries(input))).toEqual({ code: "FORBIDDEN", reason: "FORBIDDEN" });
    expect(await failureOf(as(student).session.createSeries(input))).toEqual({
      code: "FORBIDDEN",
      reason: "FORBIDDEN",
    });
    expect((await as(admin).session.createSeries(input)).items).toHaveLength(2);
  });
});

describe("session.update", () => {
  test("changes title, description, start and length of a scheduled session", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED", new Date(NOW.getTime() + DAY));
    const startsAt = new Date(NOW.getTime() + 2 * DAY);
    const updated = await as(ada).session.update({
      sessionId,
      title: "  Renamed  ",
      description: "New outline",
      startsAt,
      plannedDurationMinutes: 75,
    });
    expect(updated).toMatchObject({
      id: sessionId,
      title: "Renamed",
      description: "New outline",
      startsAt,
      plannedDurationMinutes: 75,
      status: "SCHEDULED",
    });
    // Only the fields sent change.
    expect(await as(admin).session.update({ sessionId, title: "By the admin" })).toMatchObject({
      title: "By the admin",
      description: "New outline",
      plannedDurationMinutes: 75,
    });
  });

  test("a start already a little past may be kept, but a new one in the past is a 400", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED", new Date(NOW.getTime() - 60_000));
    await expect(
      as(ada).session.update({ sessionId, startsAt: new Date(NOW.getTime() - 60_000) }),
    ).resolves.toBeDefined();
    expect(await failureOf(as(ada).session.update({ sessionId, startsAt: new Date(NOW.getTime() - DAY) }))).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
  });

  test("live, ended and cancelled sessions cannot be edited: 409 SESSION_NOT_EDITABLE", async () => {
    for (const status of ["LIVE", "ENDED", "CANCELLED"] as const) {
      const sessionId = await sessionWithStatus(status);
      expect(await failureOf(as(ada).session.update({ sessionId, title: "Too late" })), status).toEqual({
        code: "CONFLICT",
        reason: "SESSION_NOT_EDITABLE",
      });
      expect((await services.db.liveSession.findUniqueOrThrow({ where: { id: sessionId } })).title).toBe(
        `${status} session`,
      );
    }
  });

  test("edits racing a start: the start wins, each edit either landed before it or is refused", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED");
    const edits = Array.from({ length: 20 }, (_, i) =>
      failureOf(as(ada).session.update({ sessionId, title: `Edit ${i}` })),
    );
    const start = as(ada).session.start({ sessionId });
    const outcomes = await Promise.all(edits);
    expect((await start).status).toBe("LIVE");
    expect(new Set(outcomes.map((outcome) => outcome.reason))).toSatisfy((reasons: Set<string>) =>
      [...reasons].every((reason) => reason === "none" || reason === "SESSION_NOT_EDITABLE"),
    );
    const row = await services.db.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(row.status).toBe("LIVE");
    // After the start, nothing more changes.
    expect(await failureOf(as(ada).session.update({ sessionId, title: "After" }))).toEqual({
      code: "CONFLICT",
      reason: "SESSION_NOT_EDITABLE",
    });
    expect((await services.db.liveSession.findUniqueOrThrow({ where: { id: sessionId } })).title).toBe(row.title);
  });

  test("a student or another instructor: 403 FORBIDDEN; an unknown session: 404", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED", new Date(NOW.getTime() + DAY));
    for (const who of [student, grace]) {
      expect(await failureOf(as(who).session.update({ sessionId, title: "Mine now" }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
    }
    expect(
      await failureOf(as(ada).session.update({ sessionId: "00000000-0000-4000-8000-000000000009", title: "x" })),
    ).toEqual({ code: "NOT_FOUND", reason: "SESSION_NOT_FOUND" });
    expect((await services.db.liveSession.findUniqueOrThrow({ where: { id: sessionId } })).title).toBe(
      "SCHEDULED session",
    );
  });
});

describe("session.duplicate", () => {
  test("a scheduled copy one week later at the same local time, across a daylight saving change", async () => {
    // Wednesday 2030-03-27 18:00 in Berlin (UTC+1); a week later Berlin is on summer time (UTC+2).
    const sessionId = await sessionWithStatus("SCHEDULED", new Date("2030-03-27T17:00:00.000Z"));
    const copy = await as(ada).session.duplicate({ sessionId, timeZone: "Europe/Berlin" });
    expect(copy).toMatchObject({
      title: "SCHEDULED session",
      description: "What we cover",
      plannedDurationMinutes: 50,
      status: "SCHEDULED",
      startsAt: new Date("2030-04-03T16:00:00.000Z"),
    });
    expect(copy.id).not.toBe(sessionId);
    expect(copy.startsAt.toLocaleTimeString("en-GB", { timeZone: "Europe/Berlin", timeStyle: "short" })).toBe("18:00");
  });

  test("a past session is copied to the next weekly time from now; an explicit start is taken as given", async () => {
    const sessionId = await sessionWithStatus("ENDED", new Date(NOW.getTime() - 20 * DAY));
    const next = await as(ada).session.duplicate({ sessionId, timeZone: "UTC" });
    expect(next.startsAt).toEqual(new Date(NOW.getTime() + DAY));
    const startsAt = new Date(NOW.getTime() + 3 * HOUR);
    expect((await as(admin).session.duplicate({ sessionId, timeZone: "UTC", startsAt })).startsAt).toEqual(startsAt);
    expect(
      await failureOf(
        as(ada).session.duplicate({ sessionId, timeZone: "UTC", startsAt: new Date(NOW.getTime() - DAY) }),
      ),
    ).toEqual({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
  });

  test("a student or another instructor: 403 FORBIDDEN, and nothing is created", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED", new Date(NOW.getTime() + DAY));
    const before = await services.db.liveSession.count();
    for (const who of [student, grace]) {
      expect(await failureOf(as(who).session.duplicate({ sessionId, timeZone: "UTC" }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
    }
    expect(await services.db.liveSession.count()).toBe(before);
  });
});

describe("session.cancel on a live session ends it", () => {
  test("the same effect as session.end: ENDED by the host, participants closed, rooms told", async () => {
    const sessionId = await sessionWithStatus("LIVE");
    const [visitor] = await insertUsers(services, 1, { emailPrefix: "sched-visitor" });
    await as(visitor!).session.join({ sessionId, connectionId: "cancel-live-tab-1" });
    const cancelled = await as(ada).session.cancel({ sessionId });
    expect(cancelled).toMatchObject({ status: "ENDED", endedReason: "HOST" });
    expect(
      await services.db.sessionParticipant.findMany({ where: { sessionId }, select: { leaveReason: true } }),
    ).toEqual([{ leaveReason: "ENDED" }]);
    // One status event: the join's event, then "ended".
    expect(await services.redis.get(services.keys.participantEventSeq(sessionId))).toBe("2");
    // Cancelling the ended session again is refused, as ending is final.
    expect(await failureOf(as(ada).session.cancel({ sessionId }))).toEqual({
      code: "CONFLICT",
      reason: "SESSION_NOT_CANCELLABLE",
    });
  });

  test("a scheduled session is cancelled (reason HOST); a student or another instructor: 403", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED", new Date(NOW.getTime() + DAY));
    for (const who of [student, grace]) {
      expect(await failureOf(as(who).session.cancel({ sessionId }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
    }
    expect(await as(ada).session.cancel({ sessionId })).toMatchObject({ status: "CANCELLED", endedReason: "HOST" });
  });
});

describe("session.start well before the planned time", () => {
  test("more than 15 minutes early: 409 STARTS_LATER with the planned time, unless early is confirmed", async () => {
    const startsAt = new Date(NOW.getTime() + 16 * 60_000);
    const sessionId = await sessionWithStatus("SCHEDULED", startsAt);
    const refused = await as(ada)
      .session.start({ sessionId })
      .then(
        () => null,
        (error: TRPCError) => error,
      );
    expect(refused && { code: refused.code, reason: reasonOf(refused), at: atOf(refused) }).toEqual({
      code: "CONFLICT",
      reason: "STARTS_LATER",
      at: startsAt.toISOString(),
    });
    expect((await services.db.liveSession.findUniqueOrThrow({ where: { id: sessionId } })).status).toBe("SCHEDULED");
    // Over HTTP the planned time is in the answer's data.
    const answer = await callOverHttp({
      path: "session.start",
      type: "mutation",
      input: { sessionId },
      context: () => context({ ...ada, familyId: crypto.randomUUID() }),
    });
    expect(answer.status).toBe(409);
    expect(answer.error?.data).toMatchObject({ reason: "STARTS_LATER", at: startsAt.toISOString() });

    expect(await as(ada).session.start({ sessionId, early: true })).toMatchObject({ status: "LIVE" });
  });

  test("within 15 minutes of the planned time it starts without asking; a student or another instructor: 403", async () => {
    const sessionId = await sessionWithStatus("SCHEDULED", new Date(NOW.getTime() + 15 * 60_000));
    for (const who of [student, grace]) {
      expect(await failureOf(as(who).session.start({ sessionId, early: true }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
    }
    expect(await as(ada).session.start({ sessionId })).toMatchObject({ status: "LIVE" });
  });
});

describe("malformed input", () => {
  const UUID = "00000000-0000-4000-8000-000000000001";
  const text = (max: number) => (value: unknown) =>
    typeof value === "string" && value.trim().length <= max && !value.includes("\u0000");
  const shortText = text(200);
  // z.coerce.date takes whatever `new Date()` reads as a date; those reach the service (a 404 here).
  const asDate = (value: unknown) => !Number.isNaN(new Date(value as string).getTime());
  const intIn = (min: number, max: number) => (value: unknown) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
  const procedures: Omit<MalformedInputOptions, "type" | "context">[] = [
    {
      path: "session.update",
      valid: {
        sessionId: UUID,
        title: "T",
        description: "D",
        startsAt: "2030-03-02T10:00:00.000Z",
        plannedDurationMinutes: 30,
      },
      required: ["sessionId"],
      lenient: { title: shortText, description: text(5_000), plannedDurationMinutes: intIn(5, 600), startsAt: asDate },
    },
    {
      path: "session.duplicate",
      valid: { sessionId: UUID, timeZone: "Europe/Berlin", startsAt: "2030-03-02T10:00:00.000Z" },
      required: ["sessionId", "timeZone"],
      lenient: { startsAt: asDate },
    },
    {
      path: "session.createSeries",
      valid: {
        courseId: UUID,
        title: "T",
        description: "D",
        startsAt: "2030-03-02T10:00:00.000Z",
        plannedDurationMinutes: 30,
        count: 4,
        timeZone: "America/New_York",
      },
      required: ["courseId", "title", "startsAt", "plannedDurationMinutes", "count", "timeZone"],
      lenient: {
        title: shortText,
        description: text(5_000),
        plannedDurationMinutes: intIn(5, 600),
        count: intIn(2, 26),
      },
    },
    {
      path: "session.start",
      valid: { sessionId: UUID, early: true },
      required: ["sessionId"],
      lenient: { early: (value) => typeof value === "boolean" },
    },
    { path: "session.cancel", valid: { sessionId: UUID }, required: ["sessionId"] },
  ];
  for (const procedure of procedures) {
    test(`${procedure.path}: wrong, missing and extra fields answer 400 INVALID_INPUT; any JSON value below 500`, async () => {
      await assertRejectsMalformedInput({
        ...procedure,
        type: "mutation",
        extraWrongValues: ["", "not-a-uuid", "a\u0000b", "Mars/Olympus_Mons", "00000000-0000-0000-0000-00000000000g"],
        context: () => context({ ...admin, familyId: crypto.randomUUID() }),
        numRuns: 40,
      });
    });
  }
});
