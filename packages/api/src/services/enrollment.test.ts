import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { reasonOf } from "../errors";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";

const { services, context, close } = createTestServices();
afterAll(close);

const caller = (user: SessionUser | null) => createCaller(context(user));
const tab = (n: number | string) => `enroll-tab-${n}`;
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "none",
    (error: unknown) => reasonOf(error as never),
  );

/**
 * Opens a stream and reads its first event (or its refusal); the stream is closed either way. The
 * room stream's events are tracked ([id, event]).
 */
async function firstOf(open: (signal: AbortSignal) => Promise<unknown>) {
  const abort = new AbortController();
  const events = ((await open(abort.signal)) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  try {
    const first = (await events.next()).value as { type: string } | [string, { type: string }];
    return Array.isArray(first) ? first[1] : first;
  } finally {
    abort.abort();
    await events.return?.();
  }
}
const roomStream = (user: SessionUser, sessionId: string) =>
  firstOf((signal) => createCaller(context(user), { signal }).session.onRoom({ sessionId }));
const participantStream = (user: SessionUser, sessionId: string) =>
  firstOf((signal) => createCaller(context(user), { signal }).session.onParticipants({ sessionId }));

/** A live session of a course with `policy`, its instructor, and students (none enrolled). */
async function course(policy: "OPEN" | "INVITE" | "CLOSED", students = 2) {
  const { session, course, instructor } = await createSessionFixture(services);
  await services.db.course.update({ where: { id: course.id }, data: { enrollmentPolicy: policy } });
  const people = (await insertUsers(services, students)).map(asSessionUser);
  return { sessionId: session.id, courseId: course.id, instructor, students: people };
}

/** Every room procedure a participant calls, each answered by its reason ("none": it worked). */
async function roomAnswers(user: SessionUser, sessionId: string, questionId: string) {
  const me = caller(user).session;
  const before = { createdAt: new Date(Date.now() + 60_000).toISOString(), id: questionId };
  return {
    join: await failureOf(me.join({ sessionId, connectionId: tab(user.id) })),
    participants: await failureOf(me.participants({ sessionId })),
    participantCount: await failureOf(me.participantCount({ sessionId })),
    onParticipants: await failureOf(participantStream(user, sessionId)),
    onRoom: await failureOf(roomStream(user, sessionId)),
    // No media server in the tests: past the access check the answer is MEDIA_UNAVAILABLE.
    media: await failureOf(me.media({ sessionId, connectionId: tab(user.id) })),
    sendMessage: await failureOf(
      me.sendMessage({ sessionId, clientMessageId: `m-${crypto.randomUUID()}`, body: "hello" }),
    ),
    chatHistory: await failureOf(me.chatHistory({ sessionId, before })),
    upvoteQuestion: await failureOf(me.upvoteQuestion({ sessionId, messageId: questionId })),
    raiseHand: await failureOf(me.raiseHand({ sessionId })),
    lowerHand: await failureOf(me.lowerHand({ sessionId })),
    react: await failureOf(me.react({ sessionId, reaction: "👍" })),
  };
}

const EVERY_PROCEDURE = [
  "join",
  "participants",
  "participantCount",
  "onParticipants",
  "onRoom",
  "media",
  "sendMessage",
  "chatHistory",
  "upvoteQuestion",
  "raiseHand",
  "lowerHand",
  "react",
] as const;
const allRefused = Object.fromEntries(EVERY_PROCEDURE.map((name) => [name, "NOT_ENROLLED"]));
const allAllowed = { ...Object.fromEntries(EVERY_PROCEDURE.map((name) => [name, "none"])), media: "MEDIA_UNAVAILABLE" };

describe("access follows enrollment: every room procedure", () => {
  test("a closed course's room: refused (403 NOT_ENROLLED) to a student who is not enrolled; open to an enrolled one, the instructor and an admin", async () => {
    const { sessionId, courseId, instructor, students } = await course("CLOSED");
    const [enrolled, outsider] = students as [SessionUser, SessionUser];
    const [admin] = (await insertUsers(services, 1, { role: "ADMIN" })).map(asSessionUser);
    await caller(instructor).course.addStudents({ courseId, emails: [(await email(enrolled.id))!] });
    await caller(instructor).session.join({ sessionId, connectionId: tab("host") });
    const question = await caller(instructor).session.sendMessage({
      sessionId,
      clientMessageId: "host-question",
      body: "Any questions?",
      asQuestion: true,
    });

    expect(await roomAnswers(outsider, sessionId, question.id)).toEqual(allRefused);
    for (const user of [enrolled, instructor, admin!]) {
      expect(await roomAnswers(user, sessionId, question.id)).toEqual(allAllowed);
    }
    // Over HTTP the refusal is a 403 with the reason; heartbeat and leave grant nothing and refuse
    // nothing: a tab without a connection is told to join again (and that join is refused).
    const overHttp = await callOverHttp({
      path: "session.join",
      type: "mutation",
      input: { sessionId, connectionId: tab("http") },
      context: () => context(outsider),
    });
    expect(overHttp.status).toBe(403);
    expect(overHttp.error?.data.reason).toBe("NOT_ENROLLED");
    expect(overHttp.error?.message).toContain("Ask ");
    await expect(caller(outsider).session.heartbeat({ sessionId, connectionId: tab(1) })).resolves.toMatchObject({
      status: "rejoin",
    });
    await expect(caller(outsider).session.leave({ sessionId, connectionId: tab(1) })).resolves.toMatchObject({
      left: false,
    });
    // Moderation stays the instructor's and admins' (FORBIDDEN, whatever the enrollment).
    expect(await failureOf(caller(enrolled).session.lowerHands({ sessionId }))).toBe("FORBIDDEN");
    // Nobody was enrolled by getting in: the admin and the instructor are not students.
    expect(await services.db.enrollment.count({ where: { courseId } })).toBe(1);
    expect(
      await services.db.sessionParticipant.count({ where: { sessionId, leftAt: null, userId: outsider.id } }),
    ).toBe(0);
  });

  test("an open course: the room is for enrolled students too, and joining a live session enrolls", async () => {
    const { sessionId, courseId, students } = await course("OPEN");
    const [student] = students as [SessionUser];
    const [admin] = (await insertUsers(services, 1, { role: "ADMIN" })).map(asSessionUser);
    expect(await failureOf(roomStream(student, sessionId))).toBe("NOT_ENROLLED");
    await caller(student).session.join({ sessionId, connectionId: tab(1) });
    expect(
      await services.db.enrollment.findUnique({ where: { courseId_userId: { courseId, userId: student.id } } }),
    ).toMatchObject({ source: "JOINED" });
    expect((await roomStream(student, sessionId)).type).toBe("snapshot");
    await caller(admin!).session.join({ sessionId, connectionId: tab(2) });
    expect(await services.db.enrollment.count({ where: { courseId, userId: admin!.id } })).toBe(0);
  });
});

async function email(userId: string) {
  return (await services.db.user.findUnique({ where: { id: userId }, select: { email: true } }))?.email;
}

describe("enrolling", () => {
  test("an invite-only course takes its current code only: a rotated code stops working, a turned-off one too", async () => {
    const { courseId, instructor, students } = await course("INVITE", 4);
    const [first, second, third, fourth] = students as [SessionUser, SessionUser, SessionUser, SessionUser];
    const settings = await caller(instructor).course.setPolicy({ courseId, policy: "INVITE" });
    expect(settings.inviteCode).toMatch(/^[A-Z2-9]{10}$/);
    const oldCode = settings.inviteCode!;

    expect(await failureOf(caller(first).course.enroll({ courseId }))).toBe("INVITE_CODE_INVALID");
    expect(await failureOf(caller(first).course.enroll({ courseId, inviteCode: "WRONGCODE2" }))).toBe(
      "INVITE_CODE_INVALID",
    );
    // As a person types it: lowercase, with spaces or dashes.
    const typed = `${oldCode.slice(0, 5).toLowerCase()}-${oldCode.slice(5)}`;
    await expect(caller(first).course.enroll({ courseId, inviteCode: typed })).resolves.toMatchObject({
      enrolled: true,
    });

    const rotated = await caller(instructor).course.setInviteCode({ courseId, enabled: true });
    expect(rotated.inviteCode).not.toBe(oldCode);
    expect(await failureOf(caller(second).course.enroll({ courseId, inviteCode: oldCode }))).toBe(
      "INVITE_CODE_INVALID",
    );
    await caller(second).course.enroll({ courseId, inviteCode: rotated.inviteCode! });

    await caller(instructor).course.setInviteCode({ courseId, enabled: false });
    expect(await failureOf(caller(third).course.enroll({ courseId, inviteCode: rotated.inviteCode! }))).toBe(
      "INVITE_CODE_INVALID",
    );
    // Who was in stays in; a student cannot change the course's settings.
    expect(await services.db.enrollment.count({ where: { courseId } })).toBe(2);
    expect(await failureOf(caller(fourth).course.setInviteCode({ courseId, enabled: true }))).toBe("FORBIDDEN");
  });

  test("open: one click; closed: only the instructor adds people, and an unknown address waits for its account", async () => {
    const open = await course("OPEN", 1);
    await expect(caller(open.students[0]!).course.enroll({ courseId: open.courseId })).resolves.toMatchObject({
      enrolled: true,
    });

    const { courseId, instructor, students } = await course("CLOSED", 1);
    const [student] = students as [SessionUser];
    expect(await failureOf(caller(student).course.enroll({ courseId }))).toBe("ENROLLMENT_NOT_ALLOWED");
    const newcomer = `newcomer-${crypto.randomUUID().slice(0, 8)}@Example.test`;
    const added = await caller(instructor).course.addStudents({
      courseId,
      emails: [(await email(student.id))!, newcomer],
    });
    expect(added).toEqual({ enrolled: [await email(student.id)], already: [], invited: [newcomer] });
    expect(
      await caller(instructor).course.addStudents({ courseId, emails: [(await email(student.id))!, newcomer] }),
    ).toEqual({ enrolled: [], already: [await email(student.id)], invited: [newcomer] });

    const roster = await caller(instructor).course.roster({ courseId });
    expect(roster.students.map((row) => [row.userId, row.source])).toEqual([[student.id, "ADDED"]]);
    expect(roster.invitations.map((row) => row.email)).toEqual([newcomer]);
    expect(await failureOf(caller(student).course.roster({ courseId }))).toBe("FORBIDDEN");

    // The invited address signs up (any case): the invitation waits until the address is proved
    // (docs/decisions/021), then becomes an enrollment.
    const answer = await createCaller(context(null)).auth.signup({
      email: newcomer.toLowerCase(),
      password: "a long enough password",
      name: "New Comer",
    });
    expect(await services.db.enrollment.count({ where: { courseId, userId: answer.user.id } })).toBe(0);
    const mail = await waitFor(() =>
      services.db.outboxMail.findFirst({ where: { to: newcomer.toLowerCase(), template: "verify-email" } }),
    );
    const token = /verify-email\?token=([\w-]+)/.exec(mail.text)![1]!;
    await createCaller(context(null)).auth.verifyEmail({ token });
    expect(await services.db.enrollment.findFirst({ where: { courseId, userId: answer.user.id } })).toMatchObject({
      source: "INVITATION",
    });
    expect(await services.db.courseInvitation.count({ where: { courseId } })).toBe(0);
  });
});

describe("unenrolling", () => {
  test("ends the user's room access at their next request: heartbeat, chat, the stream, the list, a new join", async () => {
    const { sessionId, courseId, students } = await course("INVITE", 1);
    const [student] = students as [SessionUser];
    await enrollUsers(services, courseId, [student]);
    const me = caller(student).session;
    await me.join({ sessionId, connectionId: tab(1) });
    await me.sendMessage({ sessionId, clientMessageId: "before-leaving", body: "hi" });
    const abort = new AbortController();
    const stream = (await createCaller(context(student), { signal: abort.signal }).session.onRoom({
      sessionId,
    })) as AsyncIterable<{ type: string }>;
    const ending: { reason: string | null; events: number } = { reason: null, events: 0 };
    const reading = (async () => {
      try {
        for await (const _event of stream) ending.events++;
      } catch (error) {
        ending.reason = reasonOf(error as never);
      }
    })();
    await waitFor(() => ending.events > 0, { what: "the snapshot" });

    await expect(caller(student).course.unenroll({ courseId })).resolves.toEqual({ unenrolled: true });

    await reading;
    expect(ending.reason).toBe("NOT_ENROLLED");
    await expect(me.heartbeat({ sessionId, connectionId: tab(1) })).resolves.toMatchObject({ status: "left" });
    expect(
      await failureOf(me.sendMessage({ sessionId, clientMessageId: "after-unenrolling", body: "still here?" })),
    ).toBe("NOT_ENROLLED");
    expect(await failureOf(me.participants({ sessionId }))).toBe("NOT_ENROLLED");
    expect(await failureOf(me.join({ sessionId, connectionId: tab(1) }))).toBe("NOT_ENROLLED");
    expect(await failureOf(roomStream(student, sessionId))).toBe("NOT_ENROLLED");
    expect(await services.db.sessionParticipant.findFirst({ where: { sessionId, userId: student.id } })).toMatchObject({
      leaveReason: "UNENROLLED",
    });
    expect(await services.redis.zcard(services.keys.presence(sessionId))).toBe(0);
    await expect(caller(student).course.unenroll({ courseId })).resolves.toEqual({ unenrolled: false });
  });

  test("the instructor taking someone off the roster does the same", async () => {
    const { sessionId, courseId, instructor, students } = await course("CLOSED", 1);
    const [student] = students as [SessionUser];
    await enrollUsers(services, courseId, [student]);
    await caller(student).session.join({ sessionId, connectionId: tab(1) });
    await expect(caller(instructor).course.removeStudent({ courseId, userId: student.id })).resolves.toEqual({
      removed: true,
    });
    await expect(caller(student).session.heartbeat({ sessionId, connectionId: tab(1) })).resolves.toMatchObject({
      status: "left",
    });
    expect(await failureOf(caller(student).session.join({ sessionId, connectionId: tab(1) }))).toBe("NOT_ENROLLED");
  });
});

describe("join storm with enrollment", () => {
  test("1,000 enrolled students (and 20 who are not) join one closed course's session at once: 1,000 rows, 0 duplicates, 0 errors", async () => {
    const { sessionId, courseId } = await course("CLOSED", 0);
    const enrolled = (await insertUsers(services, 1_000)).map(asSessionUser);
    const outsiders = (await insertUsers(services, 20)).map(asSessionUser);
    await enrollUsers(services, courseId, enrolled);
    const join = (user: SessionUser) => caller(user).session.join({ sessionId, connectionId: tab(1) });
    const [ins, outs] = await Promise.all([
      Promise.allSettled(enrolled.map(join)),
      Promise.allSettled(outsiders.map(join)),
    ]);
    expect(ins.filter((result) => result.status === "rejected")).toEqual([]);
    expect(outs.map((result) => (result.status === "rejected" ? reasonOf(result.reason as never) : "joined"))).toEqual(
      outsiders.map(() => "NOT_ENROLLED"),
    );
    const [counts] = await services.db.$queryRaw<{ rows: number; users: number }[]>`
      SELECT count(*)::int AS rows, count(DISTINCT "userId")::int AS users
        FROM "SessionParticipant" WHERE "sessionId" = ${sessionId}::uuid AND "leftAt" IS NULL`;
    expect(counts).toEqual({ rows: 1_000, users: 1_000 });
    expect(await services.redis.zcard(services.keys.presence(sessionId))).toBe(1_000);
    // Nobody was enrolled (or taken out) by the storm.
    expect(await services.db.enrollment.count({ where: { courseId } })).toBe(1_000);
  });
});

describe("what people see of courses", () => {
  test("the catalog lists open courses' sessions to everyone, a student's own courses first (and alone with My courses), every course to an admin; /schedule has their live and upcoming sessions", async () => {
    const word = `zq${crypto.randomUUID().slice(0, 6)}`;
    const named = async (policy: "OPEN" | "INVITE" | "CLOSED", status: "LIVE" | "SCHEDULED", startedMinutesAgo = 1) => {
      const made = await course(policy, 0);
      await services.db.liveSession.update({
        where: { id: made.sessionId },
        data: {
          title: `${word} ${policy.toLowerCase()}`,
          status,
          startedAt: status === "LIVE" ? new Date(Date.now() - startedMinutesAgo * 60_000) : null,
          startsAt: new Date(Date.now() + (status === "LIVE" ? -1 : 1) * 3_600_000),
        },
      });
      return made;
    };
    // The open session started last: by time alone it would come first among the live ones.
    const open = await named("OPEN", "LIVE", 1);
    const invite = await named("INVITE", "LIVE", 30);
    const closed = await named("CLOSED", "SCHEDULED");
    const [student] = (await insertUsers(services, 1)).map(asSessionUser);
    const [admin] = (await insertUsers(services, 1, { role: "ADMIN" })).map(asSessionUser);
    await enrollUsers(services, invite.courseId, [student!]);
    const titles = async (user: SessionUser | null, input: { mine?: boolean; limit?: number } = {}) =>
      (await caller(user).session.list({ tab: "all", search: word, ...input })).items.map((item) => item.title);

    expect(await titles(null)).toEqual([`${word} open`]);
    expect(await titles(student!)).toEqual([`${word} invite`, `${word} open`]);
    expect(await titles(student!, { mine: true })).toEqual([`${word} invite`]);
    expect(await titles(admin!)).toEqual([`${word} open`, `${word} invite`, `${word} closed`]);
    // Pages follow the same order across the boundary between the student's courses and the rest.
    const first = await caller(student!).session.list({ tab: "all", search: word, limit: 1 });
    const second = await caller(student!).session.list({
      tab: "all",
      search: word,
      limit: 1,
      cursor: first.nextCursor!,
    });
    expect([...first.items, ...second.items].map((item) => item.title)).toEqual([`${word} invite`, `${word} open`]);
    expect(second.nextCursor).toBeNull();

    const schedule = await caller(student!).session.schedule();
    expect(schedule.map((item) => item.id)).toEqual([invite.sessionId]);
    const teaching = await caller(closed.instructor).session.schedule();
    expect(teaching.map((item) => item.id)).toEqual([closed.sessionId]);
    expect(open.sessionId).not.toBe(invite.sessionId);

    const slug = (await services.db.course.findUniqueOrThrow({ where: { id: invite.courseId } })).slug;
    expect(await caller(null).course.bySlug({ slug })).toMatchObject({ policy: "INVITE", viewer: null });
    expect((await caller(student!).course.bySlug({ slug })).viewer).toMatchObject({
      enrolledAt: expect.any(Date),
      teaches: false,
      manages: false,
    });
    expect(await failureOf(caller(null).course.bySlug({ slug: "no-such-course" }))).toBe("COURSE_NOT_FOUND");
  });
});
