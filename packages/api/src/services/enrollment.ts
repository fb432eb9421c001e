import { randomInt } from "node:crypto";
import { Prisma } from "@livehall/db";
import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import { assertCanManageCourse, canManageCourse, type Actor } from "./course";
import { mediaGrantsChanged } from "./media-access";
import { LOCK_WAIT, activeParticipantCount, closeRow, lockParticipants, publishParticipantEvent } from "./participants";
import { removeUserRemembered } from "./presence";
import { spendRoomBudget } from "./room-limits";
import { inviteByMail, type InvitationServices } from "./invitations";
import { sendMailInBackground } from "../mail/send";
import { spendInvitationMails } from "../auth/rate-limit";

/**
 * Enrollment (docs/decisions/020): who may be in a course's rooms. The one rule, `hasRoomAccess`:
 * admins, the course's instructor, and students enrolled in the course. Everyone else is answered
 * 403 NOT_ENROLLED by the join, the room stream, the participant list, media, chat, questions,
 * hands and reactions. How people get in depends on the course's policy:
 *
 * - OPEN: anyone enrolls with one click (`enroll`), and joining a live session of it enrolls them
 *   (inside the join's own statement: participants.ts).
 * - INVITE: with the course's invite code, which its instructor rotates (the old one stops working)
 *   or turns off (no code works).
 * - CLOSED: the instructor adds people by e-mail; an address without an account is a pending
 *   invitation, completed when an account with that address signs in (`claimInvitations`).
 *
 * Unenrolling (the student, or the instructor taking them off the roster) deletes the row and then
 * takes them out of the course's live rooms, so their next request finds no access.
 */

type EnrollServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

export const ENROLLMENT_POLICIES = ["OPEN", "INVITE", "CLOSED"] as const;
export type EnrollmentPolicy = (typeof ENROLLMENT_POLICIES)[number];

/** The one access rule of a course's rooms. */
export function hasRoomAccess(user: Actor, course: { instructorId: string; enrolled: boolean }): boolean {
  return user.role === "ADMIN" || course.instructorId === user.id || course.enrolled;
}

/** What a user without access is told: how to get in depends on the course's policy. */
export function notEnrolled(course: { policy: EnrollmentPolicy; instructorName: string }) {
  const message = {
    OPEN: "You're not enrolled in this course. Enroll to take part in its sessions: it's open to everyone.",
    INVITE: "This course is invite-only. Enroll with its invite code to take part in its sessions.",
    CLOSED: `Only people the instructor adds can take part in this course. Ask ${course.instructorName} to add you.`,
  }[course.policy];
  return appError("FORBIDDEN", Reason.NOT_ENROLLED, message);
}

export interface RoomAccess {
  sessionId: string;
  status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";
  courseId: string;
  courseSlug: string;
  instructorId: string;
  instructorName: string;
  policy: EnrollmentPolicy;
  enrolled: boolean;
  /** The host removed this user from this session (SessionRemoval). */
  removed: boolean;
  allowed: boolean;
}

/** The session, its course and what `user` may do there, in one indexed read; null when there is no such session. */
export async function readRoomAccess(
  services: Pick<Services, "db">,
  user: Actor,
  sessionId: string,
): Promise<RoomAccess | null> {
  const [row] = await services.db.$queryRaw<Omit<RoomAccess, "allowed">[]>`
    SELECT s.id AS "sessionId", s.status::text AS status, c.id AS "courseId", c.slug AS "courseSlug",
           c."instructorId", i.name AS "instructorName", c."enrollmentPolicy"::text AS policy,
           EXISTS (SELECT 1 FROM "Enrollment" e WHERE e."courseId" = c.id AND e."userId" = ${user.id}::uuid) AS enrolled,
           EXISTS (SELECT 1 FROM "SessionRemoval" r WHERE r."sessionId" = s.id AND r."userId" = ${user.id}::uuid) AS removed
      FROM "LiveSession" s
      JOIN "Course" c ON c.id = s."courseId"
      JOIN "User" i ON i.id = c."instructorId"
     WHERE s.id = ${sessionId}::uuid`;
  return row ? { ...row, allowed: hasRoomAccess(user, row) } : null;
}

export function sessionNotFound() {
  return appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
}

/** The session's room is open to `user`: SESSION_NOT_FOUND, or 403 NOT_ENROLLED. Returns what was read. */
export async function assertRoomAccess(
  services: Pick<Services, "db">,
  user: Actor,
  sessionId: string,
): Promise<RoomAccess> {
  const access = await readRoomAccess(services, user, sessionId);
  if (!access) throw sessionNotFound();
  if (!access.allowed) throw notEnrolled(access);
  return access;
}

/**
 * session.access — whether the caller may be in the session's room and, when not, what the room
 * page offers instead: Enroll (open), the invite-code form (invite) or whom to ask (closed).
 */
export async function roomAccessOf(services: Pick<Services, "db">, user: Actor, sessionId: string) {
  const access = await readRoomAccess(services, user, sessionId);
  if (!access) throw sessionNotFound();
  const { allowed, enrolled, policy, courseId, courseSlug, instructorName } = access;
  return { allowed, enrolled, policy, courseId, courseSlug, instructorName };
}

// ---------------------------------------------------------------------------------------------
// Invite codes
// ---------------------------------------------------------------------------------------------

/** No 0/O, 1/I/L: a code read aloud or copied by hand still works. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/** 10 characters of 31: about 50 bits; with the enroll budget (ROOM_RATE_ACTION_*), not guessable. */
export const INVITE_CODE_LENGTH = 10;

export function newInviteCode(): string {
  return Array.from({ length: INVITE_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
}

/** A code as typed (spaces, dashes, lowercase) in its stored form. */
export function normalizeInviteCode(code: string): string {
  return code.replace(/[\s-]/g, "").toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Enrolling and unenrolling
// ---------------------------------------------------------------------------------------------

async function courseForEnrollment(services: Pick<Services, "db">, courseId: string) {
  const course = await services.db.course.findUnique({
    where: { id: courseId },
    select: {
      id: true,
      slug: true,
      title: true,
      instructorId: true,
      enrollmentPolicy: true,
      inviteCode: true,
      instructor: { select: { name: true } },
    },
  });
  if (!course) throw appError("NOT_FOUND", Reason.COURSE_NOT_FOUND, "This course does not exist.");
  return course;
}

export interface EnrollAnswer {
  enrolled: true;
  enrolledAt: Date;
}

/**
 * course.enroll — the signed-in user enrolls: in an OPEN course always, in an INVITE course with its
 * current code (INVITE_CODE_INVALID otherwise: wrong, rotated away or turned off), in a CLOSED course
 * never (ENROLLMENT_NOT_ALLOWED: the instructor adds people). Repeatable: enrolled stays enrolled.
 * Every attempt spends the user's action budget, so codes cannot be guessed.
 */
export async function enroll(
  services: EnrollServices,
  user: SessionUser,
  courseId: string,
  inviteCode?: string,
): Promise<EnrollAnswer> {
  await spendRoomBudget(services, "action", user.id, "Too many tries. Wait a few seconds, then try again.");
  const course = await courseForEnrollment(services, courseId);
  if (course.instructorId === user.id) {
    throw appError("FORBIDDEN", Reason.ENROLLMENT_NOT_ALLOWED, "You teach this course, so you don't enroll in it.");
  }
  const existing = await services.db.enrollment.findUnique({
    where: { courseId_userId: { courseId, userId: user.id } },
    select: { enrolledAt: true },
  });
  if (existing) return { enrolled: true, enrolledAt: existing.enrolledAt };
  let source: "SELF" | "INVITE_CODE" = "SELF";
  if (course.enrollmentPolicy === "CLOSED") {
    throw appError(
      "FORBIDDEN",
      Reason.ENROLLMENT_NOT_ALLOWED,
      `Only people the instructor adds can enroll in this course. Ask ${course.instructor.name} to add you.`,
    );
  }
  if (course.enrollmentPolicy === "INVITE") {
    if (!inviteCode || !course.inviteCode || normalizeInviteCode(inviteCode) !== course.inviteCode) {
      throw appError(
        "FORBIDDEN",
        Reason.INVITE_CODE_INVALID,
        "This invite code doesn't work. Check it, or ask the instructor for the current one.",
      );
    }
    source = "INVITE_CODE";
  }
  const [row] = await services.db.$queryRaw<{ enrolledAt: Date }[]>`
    INSERT INTO "Enrollment" ("courseId", "userId", source, "enrolledAt")
    VALUES (${courseId}::uuid, ${user.id}::uuid, ${source}::"EnrollmentSource", ${services.clock()})
    ON CONFLICT ("courseId", "userId") DO UPDATE SET "enrolledAt" = "Enrollment"."enrolledAt"
    RETURNING "enrolledAt"`;
  return { enrolled: true, enrolledAt: row!.enrolledAt };
}

/**
 * Takes `userId` out of the course: the enrollment row goes, then every live room of the course
 * they are in. A join reads the enrollment FOR SHARE under its participant lock, so the DELETE
 * waits for every join that saw the row, and joins after it see none: once it has committed, the
 * second step finds every row those joins wrote. Their tabs' heartbeats then answer "left" (the
 * tab does not join back by itself) and the row closes UNENROLLED. An OPEN course's user who
 * enrolled again meanwhile (a join enrolls) keeps their place.
 */
async function takeOutOfCourse(services: EnrollServices, courseId: string, userId: string): Promise<boolean> {
  const { count } = await services.db.enrollment.deleteMany({ where: { courseId, userId } });
  const rooms = await services.db.sessionParticipant.findMany({
    where: { userId, leftAt: null, session: { courseId } },
    select: { sessionId: true },
  });
  for (const { sessionId } of rooms) {
    const now = services.clock();
    const closed = await services.db.$transaction(async (tx) => {
      await lockParticipants(tx, sessionId, [userId]);
      const again = await tx.enrollment.count({ where: { courseId, userId } });
      if (again > 0) return false;
      await removeUserRemembered(services, sessionId, userId, "left", now.getTime());
      return closeRow(tx, sessionId, userId, "UNENROLLED", now);
    }, LOCK_WAIT);
    mediaGrantsChanged(services, sessionId);
    if (closed) {
      await publishParticipantEvent(services, sessionId, {
        type: "left",
        userIds: [userId],
        reason: "UNENROLLED",
        participantCount: await activeParticipantCount(services, sessionId),
      });
    }
  }
  return count > 0;
}

/** course.unenroll — the user leaves the course (and any of its live rooms at once). Repeatable. */
export async function unenroll(services: EnrollServices, user: SessionUser, courseId: string) {
  await courseForEnrollment(services, courseId);
  return { unenrolled: await takeOutOfCourse(services, courseId, user.id) };
}

/** course.removeStudent — the instructor (or an admin) takes someone off the roster. Repeatable. */
export async function removeStudent(services: EnrollServices, actor: Actor, courseId: string, userId: string) {
  assertCanManageCourse(actor, await courseForEnrollment(services, courseId));
  return { removed: await takeOutOfCourse(services, courseId, userId) };
}

// ---------------------------------------------------------------------------------------------
// The instructor's side: policy, invite code, adding people, the roster
// ---------------------------------------------------------------------------------------------

async function managedCourse(services: Pick<Services, "db">, actor: Actor, courseId: string) {
  const course = await courseForEnrollment(services, courseId);
  assertCanManageCourse(actor, course);
  return course;
}

/** What the course's instructor sees of its enrollment settings. */
export interface EnrollmentSettings {
  policy: EnrollmentPolicy;
  /** The current invite code (INVITE and others alike); null when turned off. */
  inviteCode: string | null;
}

/**
 * course.setPolicy — changes who may enroll from now on; nobody already enrolled is taken out.
 * Turning INVITE on gives the course a code if it has none.
 */
export async function setPolicy(
  services: Pick<Services, "db">,
  actor: Actor,
  courseId: string,
  policy: EnrollmentPolicy,
): Promise<EnrollmentSettings> {
  const course = await managedCourse(services, actor, courseId);
  const inviteCode = policy === "INVITE" ? (course.inviteCode ?? newInviteCode()) : course.inviteCode;
  const updated = await services.db.course.update({
    where: { id: courseId },
    data: { enrollmentPolicy: policy, inviteCode },
    select: { enrollmentPolicy: true, inviteCode: true },
  });
  return { policy: updated.enrollmentPolicy, inviteCode: updated.inviteCode };
}

/** course.rotateInviteCode — a new code (`enabled`), and the old one stops working; or no code at all. */
export async function setInviteCode(
  services: Pick<Services, "db">,
  actor: Actor,
  courseId: string,
  enabled: boolean,
): Promise<EnrollmentSettings> {
  await managedCourse(services, actor, courseId);
  const updated = await services.db.course.update({
    where: { id: courseId },
    data: { inviteCode: enabled ? newInviteCode() : null },
    select: { enrollmentPolicy: true, inviteCode: true },
  });
  return { policy: updated.enrollmentPolicy, inviteCode: updated.inviteCode };
}

/** The most addresses one course.addStudents takes. */
export const ADD_STUDENTS_MAX = 50;

export interface AddStudentsAnswer {
  /** Accounts enrolled now. */
  enrolled: string[];
  /** Already enrolled (or the course's own instructor): nothing changed. */
  already: string[];
  /** No account with this address yet: a pending invitation, completed when one signs in. */
  invited: string[];
}

/**
 * course.addStudents — the instructor (or an admin) adds people by e-mail, whatever the policy:
 * accounts with a verified address are enrolled at once and told by mail; other addresses (no
 * account yet, or an account that has not proved the address) become invitations, mailed with a
 * link that proves the address and completes the enrollment (docs/decisions/021). Adding an invited
 * address again mails a new link. Every mail is taken from the instructor's budget first
 * (INVITE_MAIL_RATE_*), all or none: over it, nothing is added.
 */
export async function addStudents(
  services: InvitationServices & Pick<Services, "redis" | "keys">,
  actor: Actor,
  courseId: string,
  emails: string[],
): Promise<AddStudentsAnswer> {
  const course = await managedCourse(services, actor, courseId);
  const wanted = [...new Map(emails.map((email) => [email.toLowerCase(), email])).values()];
  const now = services.clock();
  const accounts = await services.db.$queryRaw<{ id: string; email: string; verified: boolean; enrolled: boolean }[]>`
    SELECT u.id, u.email::text AS email, u."emailVerifiedAt" IS NOT NULL AS verified,
           EXISTS (SELECT 1 FROM "Enrollment" e WHERE e."courseId" = ${courseId}::uuid AND e."userId" = u.id) AS enrolled
      FROM "User" u WHERE u.email = ANY(${wanted}::citext[])`;
  const byEmail = new Map(accounts.map((account) => [account.email.toLowerCase(), account]));
  const nothingToDo = (account: (typeof accounts)[number] | undefined) =>
    account !== undefined && (account.id === course.instructorId || account.enrolled);
  const mails = wanted.filter((email) => !nothingToDo(byEmail.get(email.toLowerCase()))).length;
  const refund = mails > 0 ? await spendInvitationMails(services, actor.id, mails) : null;

  const answer: AddStudentsAnswer = { enrolled: [], already: [], invited: [] };
  const invite = { courseId, title: course.title, instructorName: course.instructor.name, invitedById: actor.id };
  for (const email of wanted) {
    const account = byEmail.get(email.toLowerCase());
    if (nothingToDo(account)) {
      answer.already.push(account!.email);
      continue;
    }
    if (!account?.verified) {
      answer.invited.push(await inviteByMail(services, invite, account?.email ?? email));
      continue;
    }
    const inserted = await services.db.$executeRaw`
      INSERT INTO "Enrollment" ("courseId", "userId", source, "enrolledAt")
      VALUES (${courseId}::uuid, ${account.id}::uuid, 'ADDED', ${now})
      ON CONFLICT ("courseId", "userId") DO NOTHING`;
    if (inserted === 0) {
      answer.already.push(account.email);
      continue;
    }
    answer.enrolled.push(account.email);
    sendMailInBackground(services, {
      to: account.email,
      template: {
        id: "course-added",
        params: { courseTitle: course.title, instructorName: course.instructor.name, courseSlug: course.slug },
      },
    });
  }
  // Enrolled meanwhile by another request: no mail was sent for them.
  await refund?.(mails - answer.enrolled.length - answer.invited.length);
  return answer;
}

/** course.cancelInvitation — a pending invitation is withdrawn. Repeatable. */
export async function cancelInvitation(services: Pick<Services, "db">, actor: Actor, courseId: string, email: string) {
  await managedCourse(services, actor, courseId);
  const { count } = await services.db.courseInvitation.deleteMany({ where: { courseId, email } });
  return { cancelled: count > 0 };
}

/** The most students and invitations one roster lists. */
export const ROSTER_LIMIT = 500;

/** course.roster — who is enrolled (oldest first) and who is invited, for the course's instructor or an admin. */
export async function roster(services: Pick<Services, "db">, actor: Actor, courseId: string) {
  const course = await managedCourse(services, actor, courseId);
  const [students, studentCount, invitations] = await Promise.all([
    services.db.enrollment.findMany({
      where: { courseId },
      orderBy: [{ enrolledAt: "asc" }, { userId: "asc" }],
      take: ROSTER_LIMIT,
      select: { userId: true, enrolledAt: true, source: true, user: { select: { name: true, email: true } } },
    }),
    services.db.enrollment.count({ where: { courseId } }),
    services.db.courseInvitation.findMany({
      where: { courseId },
      orderBy: [{ createdAt: "asc" }, { email: "asc" }],
      take: ROSTER_LIMIT,
      select: { email: true, createdAt: true },
    }),
  ]);
  return {
    policy: course.enrollmentPolicy,
    inviteCode: course.inviteCode,
    studentCount,
    students: students.map((row) => ({
      userId: row.userId,
      name: row.user.name,
      email: row.user.email,
      enrolledAt: row.enrolledAt,
      source: row.source,
    })),
    invitations,
  };
}

// ---------------------------------------------------------------------------------------------
// Pending invitations
// ---------------------------------------------------------------------------------------------

/**
 * An invitation completes only for an account whose address was proved (docs/decisions/021): by
 * a verification link, a password-reset link, or the invitation's own link (`acceptInvitation`).
 * Otherwise anyone could sign up with an invited address they do not own and take the place.
 */
const VERIFIED_ADDRESS = Prisma.sql`u."emailVerifiedAt" IS NOT NULL`;

/**
 * Completes the pending invitations of the user's verified address (called by every sign-in and
 * sign-up, and when the address is verified):
 * each becomes an enrollment and the invitation goes, in one statement. Returns how many.
 */
export async function claimInvitations(services: Pick<Services, "db" | "clock">, userId: string): Promise<number> {
  const rows = await services.db.$queryRaw<{ courseId: string }[]>`
    WITH claimed AS (
      DELETE FROM "CourseInvitation" i USING "User" u
       WHERE u.id = ${userId}::uuid AND i.email = u.email AND ${VERIFIED_ADDRESS}
      RETURNING i."courseId"
    )
    INSERT INTO "Enrollment" ("courseId", "userId", source, "enrolledAt")
    SELECT claimed."courseId", ${userId}::uuid, 'INVITATION', ${services.clock()} FROM claimed
    ON CONFLICT ("courseId", "userId") DO NOTHING
    RETURNING "courseId"`;
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// The course page
// ---------------------------------------------------------------------------------------------

/** How many upcoming (with live) and past sessions a course page lists. */
export const COURSE_PAGE_SESSIONS = 20;

const pageSessionSelect = {
  id: true,
  title: true,
  status: true,
  startsAt: true,
  startedAt: true,
  endedAt: true,
  plannedDurationMinutes: true,
} as const;

/**
 * course.bySlug — the public course page: the course, its instructor, its live and upcoming
 * sessions and its past ones, and where the viewer stands (enrolled, teaching, or how to get in).
 */
export async function coursePage(services: Pick<Services, "db">, viewer: Actor | null, slug: string) {
  const course = await services.db.course.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      title: true,
      description: true,
      enrollmentPolicy: true,
      instructor: { select: { id: true, name: true } },
      _count: { select: { enrollments: true } },
    },
  });
  if (!course) throw appError("NOT_FOUND", Reason.COURSE_NOT_FOUND, "This course does not exist.");
  const [upcoming, past, enrollment] = await Promise.all([
    services.db.liveSession.findMany({
      where: { courseId: course.id, status: { in: ["LIVE", "SCHEDULED"] } },
      // SessionStatus sorts SCHEDULED before LIVE in Postgres, so desc puts LIVE first.
      orderBy: [{ status: "desc" }, { startsAt: "asc" }, { id: "asc" }],
      take: COURSE_PAGE_SESSIONS,
      select: pageSessionSelect,
    }),
    services.db.liveSession.findMany({
      where: { courseId: course.id, status: "ENDED" },
      orderBy: [{ startsAt: "desc" }, { id: "desc" }],
      take: COURSE_PAGE_SESSIONS,
      select: pageSessionSelect,
    }),
    viewer
      ? services.db.enrollment.findUnique({
          where: { courseId_userId: { courseId: course.id, userId: viewer.id } },
          select: { enrolledAt: true },
        })
      : null,
  ]);
  const { _count, enrollmentPolicy, ...rest } = course;
  return {
    ...rest,
    policy: enrollmentPolicy,
    studentCount: _count.enrollments,
    upcoming,
    past,
    viewer: viewer
      ? {
          enrolledAt: enrollment?.enrolledAt ?? null,
          teaches: course.instructor.id === viewer.id,
          manages: canManageCourse(viewer, { instructorId: course.instructor.id }),
        }
      : null,
  };
}
