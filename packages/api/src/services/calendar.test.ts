import type { TRPCError } from "@trpc/server";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { reasonOf } from "../errors";
import { createCaller } from "../root";
import { enrollUsers } from "../testing/fixtures";
import { assertRejectsMalformedInput, type MalformedInputOptions } from "../testing/fuzz";
import { createTestServices, insertUsers } from "../testing/services";
import { rotateCalendarFeed } from "./calendar";

const APP_URL = "https://classes.example.test";
const { services, context, close } = createTestServices({
  APP_URL,
  ACCOUNT_RATE_SETTINGS_BURST: "4",
  ACCOUNT_RATE_SETTINGS_PER_SECOND: "0.001",
});
afterAll(close);

type Person = { id: string; role: SessionUser["role"] };
const as = (user: Person) => createCaller(context({ ...user, familyId: crypto.randomUUID() }));
const anonymous = () => createCaller(context(null));
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none" }),
    (error: TRPCError) => ({ code: error.code, reason: reasonOf(error) }),
  );

/** The events of an .ics text, read by ical.js (Mozilla's parser, independent of the generator). */
function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  return calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      startIsUtc: event.startDate.zone?.tzid === "UTC",
      end: event.endDate.toJSDate().toISOString(),
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      url: vevent.getFirstPropertyValue("url"),
      description: event.description,
    };
  });
}

let teacher: Person, student: Person, outsider: Person;
let courseId: string, otherCourseId: string;
const inOneDay = () => new Date(Date.now() + 24 * 3_600_000);

beforeAll(async () => {
  teacher = (await insertUsers(services, 1, { role: "INSTRUCTOR", emailPrefix: "cal-teacher" }))[0]!;
  const students = await insertUsers(services, 2, { emailPrefix: "cal-student" });
  [student, outsider] = [students[0]!, students[1]!];
  courseId = (await services.db.course.create({ data: { slug: "cal", title: "Calendars", instructorId: teacher.id } }))
    .id;
  otherCourseId = (
    await services.db.course.create({ data: { slug: "cal-other", title: "Other", instructorId: teacher.id } })
  ).id;
  await enrollUsers(services, courseId, [student]);
});

const schedule = (startsAt: Date, title = "Window functions", course = courseId) =>
  as(teacher).session.create({
    courseId: course,
    title,
    description: "OVER and PARTITION BY",
    startsAt,
    plannedDurationMinutes: 50,
  });

describe("GET /sessions/<id>/calendar.ics (calendar.session)", () => {
  test("one event in UTC with a stable UID, the room link, and SEQUENCE growing with each move and the cancel", async () => {
    const startsAt = new Date(Math.ceil(inOneDay().getTime() / 60_000) * 60_000);
    const session = await schedule(startsAt);
    const read = async () => {
      const file = await anonymous().calendar.session({ sessionId: session.id });
      expect(file.filename).toMatch(/^window-functions(-ii)?\.ics$/);
      expect(file.ics).toMatch(/^DTSTART:\d{8}T\d{6}Z\r?$/m);
      const events = parse(file.ics);
      expect(events).toHaveLength(1);
      return events[0]!;
    };

    const first = await read();
    expect(first).toMatchObject({
      uid: `session-${session.id}@livehall`,
      summary: "Window functions",
      start: startsAt.toISOString(),
      startIsUtc: true,
      end: new Date(startsAt.getTime() + 50 * 60_000).toISOString(),
      sequence: 0,
      status: "CONFIRMED",
      url: `${APP_URL}/sessions/${session.id}`,
    });
    expect(first.description).toContain(`${APP_URL}/sessions/${session.id}`);

    // A new title is not a move; a new start and a new length are.
    await as(teacher).session.update({ sessionId: session.id, title: "Window functions II" });
    expect((await read()).sequence).toBe(0);
    const moved = new Date(startsAt.getTime() + 2 * 3_600_000);
    await as(teacher).session.update({ sessionId: session.id, startsAt: moved });
    expect(await read()).toMatchObject({ uid: first.uid, start: moved.toISOString(), sequence: 1 });
    await as(teacher).session.update({ sessionId: session.id, plannedDurationMinutes: 90 });
    expect(await read()).toMatchObject({ sequence: 2, end: new Date(moved.getTime() + 90 * 60_000).toISOString() });

    await as(teacher).session.cancel({ sessionId: session.id });
    expect(await read()).toMatchObject({ uid: first.uid, sequence: 3, status: "CANCELLED" });
  });

  test("an unknown session is NOT_FOUND SESSION_NOT_FOUND; a malformed id is a 400, never a 500", async () => {
    expect(await failureOf(anonymous().calendar.session({ sessionId: crypto.randomUUID() }))).toEqual({
      code: "NOT_FOUND",
      reason: "SESSION_NOT_FOUND",
    });
    expect(await failureOf(anonymous().calendar.session({ sessionId: "x" } as never))).toEqual({
      code: "BAD_REQUEST",
      reason: "INVALID_INPUT",
    });
  });
});

describe("the personal feed (account.calendarFeed, calendar.feed)", () => {
  const tokenOf = (url: string) => {
    const match = new RegExp(`^${APP_URL}/calendar/([^/]+)\\.ics$`).exec(url);
    expect(match).not.toBeNull();
    return match![1]!;
  };

  test("carries the sessions of the user's courses only, in UTC; rotating retires the old link, turning off all", async () => {
    const mine = await schedule(inOneDay(), "Mine");
    const notMine = await schedule(inOneDay(), "Not mine", otherCourseId);
    expect(await as(student).account.calendarFeed()).toEqual({ url: null, createdAt: null });
    const link = await as(student).account.rotateCalendarFeed();
    expect(await as(student).account.calendarFeed()).toEqual(link);
    const token = tokenOf(link.url!);

    const events = parse((await anonymous().calendar.feed({ token })).ics);
    const ids = events.map((event) => event.uid);
    expect(ids).toContain(`session-${mine.id}@livehall`);
    expect(ids).not.toContain(`session-${notMine.id}@livehall`);
    expect(events.every((event) => event.startIsUtc)).toBe(true);
    // The instructor's feed has the sessions of every course they teach.
    const teacherToken = tokenOf((await as(teacher).account.rotateCalendarFeed()).url!);
    const taught = parse((await anonymous().calendar.feed({ token: teacherToken })).ics).map((event) => event.uid);
    expect(taught).toEqual(expect.arrayContaining([`session-${mine.id}@livehall`, `session-${notMine.id}@livehall`]));

    const rotated = await as(student).account.rotateCalendarFeed();
    expect(rotated.url).not.toBe(link.url);
    expect(await failureOf(anonymous().calendar.feed({ token }))).toEqual({
      code: "NOT_FOUND",
      reason: "CALENDAR_FEED_NOT_FOUND",
    });
    expect(parse((await anonymous().calendar.feed({ token: tokenOf(rotated.url!) })).ics).length).toBeGreaterThan(0);

    await as(student).account.turnOffCalendarFeed();
    expect(await failureOf(anonymous().calendar.feed({ token: tokenOf(rotated.url!) }))).toMatchObject({
      reason: "CALENDAR_FEED_NOT_FOUND",
    });
  });

  test("forged, truncated and junk tokens are NOT_FOUND; the database holds no token", async () => {
    const { url } = await as(outsider).account.rotateCalendarFeed();
    const token = tokenOf(url!);
    const forged = token.slice(0, 32) + "A".repeat(43);
    const otherId = crypto.randomUUID().replaceAll("-", "") + token.slice(32);
    for (const bad of [forged, otherId, token.slice(0, -1), `${token}x`, "", "../../etc/passwd", "x".repeat(128)]) {
      expect(await failureOf(anonymous().calendar.feed({ token: bad })), bad).toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await failureOf(anonymous().calendar.feed({ token: "x".repeat(129) }))).toMatchObject({
      code: "BAD_REQUEST",
    });
    const rows = await services.db.$queryRaw<
      { row: string }[]
    >`SELECT row_to_json(f)::text AS row FROM "CalendarFeed" f`;
    expect(rows.some(({ row }) => row.includes(token.slice(32)))).toBe(false);
  });

  test("40 concurrent rotations leave one feed: one answer's link works, the 39 others answer 404", async () => {
    const [many] = await insertUsers(services, 1, { emailPrefix: "cal-rotate" });
    // The service itself (the procedure's budget would refuse most of a burst like this).
    const answers = await Promise.all(Array.from({ length: 40 }, () => rotateCalendarFeed(services, many!.id)));
    expect(await services.db.calendarFeed.count({ where: { userId: many!.id } })).toBe(1);
    const current = await as(many as Person).account.calendarFeed();
    expect(answers.filter((answer) => answer.url === current.url)).toHaveLength(1);
    const outcomes = await Promise.all(
      answers.map((answer) =>
        failureOf(anonymous().calendar.feed({ token: tokenOf(answer.url!) })).then((failure) => failure.code),
      ),
    );
    expect(outcomes.filter((code) => code === "none")).toHaveLength(1);
    expect(outcomes.filter((code) => code === "NOT_FOUND")).toHaveLength(39);
  });

  test("rotating is rate-limited per user: past the budget 429 RATE_LIMITED, and the link stays as it was", async () => {
    const [limited] = await insertUsers(services, 1, { emailPrefix: "cal-limit" });
    const caller = as(limited as Person);
    let last = null as Awaited<ReturnType<typeof caller.account.rotateCalendarFeed>> | null;
    for (let i = 0; i < 4; i++) last = await caller.account.rotateCalendarFeed();
    expect(await failureOf(caller.account.rotateCalendarFeed())).toEqual({
      code: "TOO_MANY_REQUESTS",
      reason: "RATE_LIMITED",
    });
    expect(await failureOf(caller.account.setSessionReminders({ enabled: false }))).toMatchObject({
      reason: "RATE_LIMITED",
    });
    expect(await caller.account.calendarFeed()).toEqual(last);
  });

  test("the reminder preference: on by default, off and on again, for signed-in users only", async () => {
    const [person] = await insertUsers(services, 1, { emailPrefix: "cal-pref", verified: false });
    const caller = as(person as Person);
    expect(await caller.account.sessionReminders()).toEqual({ enabled: true, emailVerified: false, leadMinutes: 15 });
    expect(await caller.account.setSessionReminders({ enabled: false })).toMatchObject({ enabled: false });
    expect(await caller.account.sessionReminders()).toMatchObject({ enabled: false });
    expect(await caller.account.setSessionReminders({ enabled: true })).toMatchObject({ enabled: true });
    expect(await failureOf(caller.account.setSessionReminders({ enabled: "yes" } as never))).toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await failureOf(anonymous().account.sessionReminders())).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await failureOf(anonymous().account.rotateCalendarFeed())).toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("malformed input", () => {
  const procedures: Omit<MalformedInputOptions, "context">[] = [
    { path: "calendar.session", type: "query", valid: { sessionId: crypto.randomUUID() }, required: ["sessionId"] },
    {
      path: "calendar.feed",
      type: "query",
      valid: { token: "x" },
      required: ["token"],
      // Any string of up to 128 characters reaches the service, which answers 404 for one it did not issue.
      lenient: { token: (value) => typeof value === "string" && value.length <= 128 },
    },
    { path: "account.setSessionReminders", type: "mutation", valid: { enabled: true }, required: ["enabled"] },
    { path: "account.rotateCalendarFeed", type: "mutation", valid: {}, required: [] },
    { path: "account.turnOffCalendarFeed", type: "mutation", valid: {}, required: [] },
    { path: "account.sessionReminders", type: "query", valid: {}, required: [] },
    { path: "account.calendarFeed", type: "query", valid: {}, required: [] },
  ];
  for (const procedure of procedures) {
    test(`${procedure.path}: wrong, missing and extra fields answer 400 INVALID_INPUT; any JSON value below 500`, async () => {
      await assertRejectsMalformedInput({
        ...procedure,
        extraWrongValues: ["", "not-a-uuid", "a\u0000b"],
        context: () => context({ ...student, familyId: "f" }),
      });
    });
  }
});
