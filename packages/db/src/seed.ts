/**
 * Demo data (docs/architecture.md#demo-data): three demo logins, more students and a second instructor, a few
 * courses (open ones, one invite-only and one closed), and live, upcoming, ended and cancelled sessions with
 * participants, ratings and enrollments, so the pages look real on first start. For local use only.
 *
 * Rules, decided here:
 * - **Ownership by fixed ids.** Every row the seed writes has a deterministic UUID derived from a key
 *   (`seedId("session:live-generics")`), so the seed recognises its own rows on every run.
 * - **Idempotent, never duplicates.** Each run upserts those rows by id; running it N times leaves the
 *   same rows as running it once. Active participants go through the partial unique index
 *   (`ON CONFLICT ("sessionId","userId") WHERE "leftAt" IS NULL DO NOTHING`), so there is never a second
 *   active row for a (session, user), whoever created the first.
 * - **Refreshed relative to now.** Each run moves the seeded sessions' times (and their participants'
 *   and ratings' times) relative to the current time and restores their status, so "live" sessions
 *   started a few minutes ago, "upcoming" ones are still ahead and "ended" ones are in the past, however
 *   old the database is. A seeded active participant that has since been closed (the worker times out
 *   participants without a live connection) is re-opened unless the user has another active row.
 * - **Never changes a password.** A seeded user's password hash is written when the row is created and
 *   never again: a password changed since (say, on a machine others can reach) is not reset to the
 *   demo password by the next start.
 * - **Never touches rows it did not create.** Rows with other ids are left alone, even on the seeded
 *   sessions. When a demo e-mail or course slug already belongs to a row the seed did not create, that
 *   seed user or course (and whatever depends on it) is skipped and reported, not overwritten.
 * - **All or nothing.** Everything runs in one transaction under an advisory lock, so concurrent runs
 *   wait for each other and a failure leaves the database as it was.
 */
import { createHash } from "node:crypto";
import type { Db } from "./client";
import type { EnrollmentPolicy, LeaveReason, Role, SessionStatus } from "./generated/prisma/enums";
import type { TransactionClient } from "./generated/prisma/internal/prismaNamespace";

/**
 * argon2id hash of `livehall-demo` (m=19456 KiB, t=2, p=1 — OWASP's first recommended setting),
 * computed once with @node-rs/argon2 (the library packages/api verifies passwords with):
 * `hash("livehall-demo", { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 })`, and
 * checked with `verify(hash, "livehall-demo") === true`. Kept as a constant so the data layer needs no
 * argon2 dependency and seeding stays instant.
 */
export const DEMO_PASSWORD = "livehall-demo";
export const DEMO_PASSWORD_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$4rwRzvuQk2cyuVXMwymUzA$pGE+jw1pHboanWm2DwMF7XUwHH2F0dCtgf3G+1fWMA0";

export const DEMO_LOGINS = [
  { email: "admin@livehall.dev", role: "ADMIN", name: "Ada Admin" },
  { email: "instructor@livehall.dev", role: "INSTRUCTOR", name: "Ines Instructor" },
  { email: "student@livehall.dev", role: "STUDENT", name: "Sam Student" },
] as const satisfies readonly { email: string; role: Role; name: string }[];

/** A deterministic UUID (version 5 layout, SHA-1 of a fixed namespace and the key) for a seeded row. */
export function seedId(key: string): string {
  const hex = createHash("sha1").update(`livehall-seed:${key}`).digest("hex");
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// The data
// ---------------------------------------------------------------------------------------------

interface SeedUser {
  key: string;
  email: string;
  name: string;
  role: Role;
}

const USERS: SeedUser[] = [
  ...DEMO_LOGINS.map((login) => ({ key: login.email.split("@")[0]!, ...login })),
  { key: "marcus", email: "marcus.chen@livehall.dev", name: "Marcus Chen", role: "INSTRUCTOR" },
  ...(
    [
      ["priya", "Priya Raman"],
      ["lucas", "Lucas Oliveira"],
      ["amara", "Amara Okafor"],
      ["jonas", "Jonas Weber"],
      ["mei", "Mei Tanaka"],
      ["diego", "Diego Santos"],
      ["sofia", "Sofia Rossi"],
      ["noah", "Noah Kim"],
    ] as const
  ).map(([key, name]) => ({
    key,
    name,
    email: `${name.toLowerCase().replace(" ", ".")}@livehall.dev`,
    role: "STUDENT" as const,
  })),
];

interface SeedCourse {
  slug: string;
  title: string;
  description: string;
  instructor: string;
  /** OPEN when absent. Written when the course is created only: an instructor's change stays. */
  policy?: EnrollmentPolicy;
  inviteCode?: string;
  /** Enrolled besides everyone who attended one of its sessions. */
  students?: string[];
  /** Pending invitations: addresses without an account. */
  invited?: string[];
}

const COURSES: SeedCourse[] = [
  {
    slug: "typescript-in-practice",
    title: "TypeScript in Practice",
    description:
      "From strict mode to generics and discriminated unions: the TypeScript you need to ship and maintain real applications, one live refactoring at a time.",
    instructor: "instructor",
    students: ["mei"],
  },
  {
    slug: "postgres-for-application-developers",
    title: "Postgres for Application Developers",
    description:
      "Schema design, indexes, transactions and query plans, explained with the queries your app actually runs.",
    instructor: "instructor",
  },
  {
    slug: "web-accessibility-fundamentals",
    title: "Web Accessibility Fundamentals",
    description:
      "Semantic HTML, keyboard navigation, focus management and screen readers: build interfaces everyone can use, and test them.",
    instructor: "instructor",
  },
  {
    slug: "introduction-to-machine-learning",
    title: "Introduction to Machine Learning",
    description:
      "Regression, classification and gradient descent from first principles, live-coded in Python notebooks with real data sets.",
    instructor: "marcus",
  },
  {
    slug: "system-design-from-whiteboard-to-production",
    title: "System Design: From Whiteboard to Production",
    description:
      "Caches, queues, rate limiters and replication: design systems on the whiteboard, then look at how production versions behave.",
    instructor: "marcus",
  },
  {
    slug: "product-design-critique-lab",
    title: "Product Design Critique Lab",
    description:
      "Bring a screen, get a critique: structured feedback on real product flows in a small group. Invite only, so the room stays small.",
    instructor: "instructor",
    policy: "INVITE",
    // The demo's invite link: /courses/product-design-critique-lab?code=CRAFT7DESK
    inviteCode: "CRAFT7DESK",
    students: ["student", "priya", "mei"],
  },
  {
    slug: "staff-engineering-circle",
    title: "Staff Engineering Circle",
    description:
      "A closed circle for engineers growing into staff roles: design docs, influence without authority, and picking the right problems.",
    instructor: "marcus",
    policy: "CLOSED",
    students: ["amara", "jonas"],
    invited: ["guest.engineer@livehall.dev"],
  },
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface SeedSession {
  key: string;
  course: string;
  title: string;
  description: string;
  status: SessionStatus;
  plannedDurationMinutes: number;
  /** LIVE: started this long ago. SCHEDULED: starts in this long. ENDED / CANCELLED: was planned this long ago. */
  offset: number;
  /** LIVE: users in the room now, with how long ago they joined. */
  active?: [user: string, joinedMinutesAgo: number][];
  /** Attendance history: who was there and how they left (minutes after the start, or "end"). */
  past?: [user: string, leftAfter: number | "end", reason: LeaveReason][];
  ratings?: [user: string, stars: number, comment: string | null][];
}

const SESSIONS: SeedSession[] = [
  {
    key: "live-generics",
    course: "typescript-in-practice",
    title: "Generics without the headache",
    description: "Constraints, inference and when not to use generics — we refactor a small API client together.",
    status: "LIVE",
    plannedDurationMinutes: 60,
    offset: 12 * MINUTE,
    active: [
      ["student", 11],
      ["priya", 12],
      ["lucas", 10],
      ["amara", 9],
      ["jonas", 7],
      ["diego", 2],
    ],
    // Diego dropped out and came back: one closed row (history) and one active row.
    past: [
      ["diego", 4, "LEFT"],
      ["noah", 6, "LEFT"],
    ],
  },
  {
    key: "live-gradient-descent",
    course: "introduction-to-machine-learning",
    title: "Gradient descent, live-coded",
    description: "We implement batch and stochastic gradient descent from scratch and watch the loss curve move.",
    status: "LIVE",
    plannedDurationMinutes: 90,
    offset: 4 * MINUTE,
    active: [
      ["mei", 4],
      ["sofia", 3],
      ["noah", 3],
      ["admin", 1],
    ],
  },
  {
    key: "upcoming-indexes",
    course: "postgres-for-application-developers",
    title: "Indexes that actually help",
    description: "B-tree, partial and composite indexes, read with EXPLAIN ANALYZE on a realistic data set.",
    status: "SCHEDULED",
    plannedDurationMinutes: 60,
    offset: 3 * HOUR,
  },
  {
    key: "upcoming-keyboard",
    course: "web-accessibility-fundamentals",
    title: "Keyboard navigation and focus management",
    description: "Tab order, focus traps in dialogs and skip links — bring a page you want to audit.",
    status: "SCHEDULED",
    plannedDurationMinutes: 45,
    offset: DAY + 2 * HOUR,
  },
  {
    key: "upcoming-rate-limiter",
    course: "system-design-from-whiteboard-to-production",
    title: "Designing a rate limiter",
    description: "Fixed windows, sliding logs and token buckets, and what changes when there are ten servers.",
    status: "SCHEDULED",
    plannedDurationMinutes: 75,
    offset: 2 * DAY + 4 * HOUR,
  },
  {
    key: "upcoming-typesafe-apis",
    course: "typescript-in-practice",
    title: "Type-safe APIs with zod and tRPC",
    description: "One contract from the database to the browser: validation, inference and error handling.",
    status: "SCHEDULED",
    plannedDurationMinutes: 60,
    offset: 5 * DAY,
  },
  {
    key: "ended-transactions",
    course: "postgres-for-application-developers",
    title: "Transactions and isolation levels",
    description: "Lost updates, phantom reads and serialization failures, reproduced live in two psql sessions.",
    status: "ENDED",
    plannedDurationMinutes: 60,
    offset: DAY + 2 * HOUR,
    past: [
      ["student", "end", "ENDED"],
      ["priya", "end", "ENDED"],
      ["jonas", "end", "ENDED"],
      ["mei", 35, "LEFT"],
      ["sofia", "end", "ENDED"],
    ],
    ratings: [
      ["student", 5, "The two-terminal demo of a lost update finally made it click."],
      ["priya", 4, "Great pace. I'd love a follow-up on advisory locks."],
      ["jonas", 5, null],
      ["mei", 3, "Good content, but I had to leave early — is there a recording?"],
    ],
  },
  {
    key: "ended-linear-regression",
    course: "introduction-to-machine-learning",
    title: "Linear regression from scratch",
    description: "Least squares, the normal equation and a first look at overfitting.",
    status: "ENDED",
    plannedDurationMinutes: 90,
    offset: 3 * DAY - 3 * HOUR,
    past: [
      ["student", "end", "ENDED"],
      ["lucas", "end", "ENDED"],
      ["amara", 50, "LEFT"],
      ["diego", "end", "ENDED"],
      ["noah", "end", "ENDED"],
      ["sofia", 20, "TIMEOUT"],
    ],
    ratings: [
      ["student", 4, "Clear derivations. The notebook was very helpful."],
      ["lucas", 5, "Best explanation of the normal equation I've seen."],
      ["diego", 4, null],
      ["noah", 2, "Too fast in the second half for me."],
    ],
  },
  {
    key: "ended-screen-readers",
    course: "web-accessibility-fundamentals",
    title: "Screen readers 101",
    description: "VoiceOver and NVDA basics, landmarks and headings, and how a page really sounds.",
    status: "ENDED",
    plannedDurationMinutes: 45,
    offset: 7 * DAY + 5 * HOUR,
    past: [
      ["priya", "end", "ENDED"],
      ["amara", "end", "ENDED"],
      ["mei", "end", "ENDED"],
      ["jonas", 15, "LEFT"],
    ],
    ratings: [
      ["priya", 5, "Eye-opening. I turned on VoiceOver on our product the next morning."],
      ["amara", 4, "Very practical."],
      ["mei", 5, null],
    ],
  },
  {
    key: "ended-narrowing",
    course: "typescript-in-practice",
    title: "Narrowing and discriminated unions",
    description: "typeof, in, custom type guards and exhaustive switches with never.",
    status: "ENDED",
    plannedDurationMinutes: 60,
    offset: 14 * DAY - HOUR,
    past: [
      ["student", "end", "ENDED"],
      ["lucas", "end", "ENDED"],
      ["diego", 40, "LEFT"],
      ["sofia", "end", "ENDED"],
      ["noah", "end", "ENDED"],
    ],
    ratings: [
      ["student", 5, "The exhaustive switch trick is already in our codebase."],
      ["sofia", 4, "Solid session, good exercises."],
      ["diego", 3, null],
    ],
  },
  {
    key: "upcoming-onboarding-critique",
    course: "product-design-critique-lab",
    title: "Critique: onboarding flows",
    description: "Three onboarding flows, ten minutes each: what the first minute of a product says to a new user.",
    status: "SCHEDULED",
    plannedDurationMinutes: 60,
    offset: DAY + 5 * HOUR,
  },
  {
    key: "ended-empty-states",
    course: "product-design-critique-lab",
    title: "Critique: empty states",
    description: "What a screen with nothing on it should still do. Five empty states, critiqued together.",
    status: "ENDED",
    plannedDurationMinutes: 45,
    offset: 4 * DAY + 2 * HOUR,
    past: [
      ["student", "end", "ENDED"],
      ["priya", "end", "ENDED"],
      ["mei", "end", "ENDED"],
    ],
    ratings: [["priya", 5, "Small group, honest feedback. Exactly what I needed."]],
  },
  {
    key: "upcoming-design-docs",
    course: "staff-engineering-circle",
    title: "Writing design docs people read",
    description: "Structure, the one-page summary, and getting a decision out of a review.",
    status: "SCHEDULED",
    plannedDurationMinutes: 60,
    offset: 3 * DAY + 3 * HOUR,
  },
  {
    key: "cancelled-caching",
    course: "system-design-from-whiteboard-to-production",
    title: "Caching strategies",
    description: "Cache-aside, write-through and invalidation. Cancelled — will be rescheduled.",
    status: "CANCELLED",
    plannedDurationMinutes: 60,
    offset: 2 * DAY + 4 * HOUR,
  },
];

// ---------------------------------------------------------------------------------------------
// Writing it
// ---------------------------------------------------------------------------------------------

export interface SeedResult {
  /** Seed-owned rows present after the run, per kind. */
  users: number;
  courses: number;
  sessions: Record<SessionStatus, number>;
  activeParticipants: number;
  pastParticipants: number;
  ratings: number;
  /** Students enrolled in seeded courses by the seed (everyone who attended, plus `students`). */
  enrollments: number;
  /** Pending invitations of seeded courses. */
  invitations: number;
  /** Rows inserted by this run (0 when the seed had already run). */
  created: number;
  /** Seed entries left out because a row the seed did not create holds their e-mail or slug. */
  skipped: string[];
}

const SEED_LOCK_KEY = 72707370;

const floorTo = (time: number, step: number) => Math.floor(time / step) * step;
const ceilTo = (time: number, step: number) => Math.ceil(time / step) * step;

interface Timing {
  startsAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
}

function timing(session: SeedSession, now: number): Timing {
  const duration = session.plannedDurationMinutes * MINUTE;
  switch (session.status) {
    case "LIVE": {
      const startedAt = now - session.offset;
      return { startsAt: new Date(floorTo(startedAt, 5 * MINUTE)), startedAt: new Date(startedAt), endedAt: null };
    }
    case "SCHEDULED":
      return { startsAt: new Date(ceilTo(now + session.offset, 15 * MINUTE)), startedAt: null, endedAt: null };
    case "ENDED": {
      const startsAt = floorTo(now - session.offset, 15 * MINUTE);
      const startedAt = startsAt + 2 * MINUTE;
      return {
        startsAt: new Date(startsAt),
        startedAt: new Date(startedAt),
        endedAt: new Date(startedAt + duration + 3 * MINUTE),
      };
    }
    case "CANCELLED":
      return { startsAt: new Date(floorTo(now - session.offset, 15 * MINUTE)), startedAt: null, endedAt: null };
  }
}

/** Seeds the demo data (see the rules at the top of this file) and reports what is there. */
export async function seed(db: Db, { now = Date.now() }: { now?: number } = {}): Promise<SeedResult> {
  return db.$transaction((tx) => seedIn(tx, now), { maxWait: 15_000, timeout: 60_000 });
}

async function seedIn(tx: TransactionClient, now: number): Promise<SeedResult> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY}::bigint)`;
  const result: SeedResult = {
    users: 0,
    courses: 0,
    sessions: { SCHEDULED: 0, LIVE: 0, ENDED: 0, CANCELLED: 0 },
    activeParticipants: 0,
    pastParticipants: 0,
    ratings: 0,
    enrollments: 0,
    invitations: 0,
    created: 0,
    skipped: [],
  };
  const count = (rows: { inserted: boolean }[]) => {
    if (rows[0]?.inserted) result.created++;
    return rows.length;
  };

  // Users
  const users = new Map<string, string>();
  for (const user of USERS) {
    const id = seedId(`user:${user.key}`);
    const holder = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id::text FROM "User" WHERE email = ${user.email}::citext`;
    if (holder[0] && holder[0].id !== id) {
      result.skipped.push(`user ${user.email} (the e-mail belongs to an account the seed did not create)`);
      continue;
    }
    const rows = await tx.$queryRaw<{ inserted: boolean }[]>`
      INSERT INTO "User" (id, email, name, "passwordHash", role, "emailVerifiedAt")
      VALUES (${id}::uuid, ${user.email}::citext, ${user.name}, ${DEMO_PASSWORD_HASH}, ${user.role}::"Role", now())
      ON CONFLICT (id) DO UPDATE
        SET email = EXCLUDED.email, name = EXCLUDED.name, role = EXCLUDED.role, "updatedAt" = now()
        WHERE ("User".email, "User".name, "User".role)
              IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.name, EXCLUDED.role)
      RETURNING (xmax = 0) AS inserted`;
    count(rows);
    users.set(user.key, id);
    result.users++;
  }

  // Courses
  const courses = new Map<string, string>();
  for (const course of COURSES) {
    const id = seedId(`course:${course.slug}`);
    const instructorId = users.get(course.instructor);
    const holder = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM "Course" WHERE slug = ${course.slug}`;
    if (holder[0] && holder[0].id !== id) {
      result.skipped.push(`course ${course.slug} (the slug belongs to a course the seed did not create)`);
      continue;
    }
    if (!instructorId) {
      result.skipped.push(`course ${course.slug} (its instructor was skipped)`);
      continue;
    }
    count(
      await tx.$queryRaw<{ inserted: boolean }[]>`
        INSERT INTO "Course" (id, slug, title, description, "instructorId", "enrollmentPolicy", "inviteCode")
        VALUES (${id}::uuid, ${course.slug}, ${course.title}, ${course.description}, ${instructorId}::uuid,
                ${course.policy ?? "OPEN"}::"EnrollmentPolicy", ${course.inviteCode ?? null})
        ON CONFLICT (id) DO UPDATE
          SET slug = EXCLUDED.slug, title = EXCLUDED.title, description = EXCLUDED.description,
              "instructorId" = EXCLUDED."instructorId", "updatedAt" = now()
          WHERE ("Course".slug, "Course".title, "Course".description, "Course"."instructorId")
                IS DISTINCT FROM (EXCLUDED.slug, EXCLUDED.title, EXCLUDED.description, EXCLUDED."instructorId")
        RETURNING (xmax = 0) AS inserted`,
    );
    courses.set(course.slug, id);
    result.courses++;
  }

  // Sessions, their participants and ratings
  for (const session of SESSIONS) {
    const courseId = courses.get(session.course);
    if (!courseId) {
      result.skipped.push(`session ${session.key} (its course was skipped)`);
      continue;
    }
    const id = seedId(`session:${session.key}`);
    const { startsAt, startedAt, endedAt } = timing(session, now);
    count(
      await tx.$queryRaw<{ inserted: boolean }[]>`
        INSERT INTO "LiveSession" (id, "courseId", title, description, status, "startsAt", "plannedDurationMinutes", "startedAt", "endedAt")
        VALUES (${id}::uuid, ${courseId}::uuid, ${session.title}, ${session.description}, ${session.status}::"SessionStatus",
                ${startsAt}::timestamptz, ${session.plannedDurationMinutes}::int, ${startedAt}::timestamptz, ${endedAt}::timestamptz)
        ON CONFLICT (id) DO UPDATE
          SET "courseId" = EXCLUDED."courseId", title = EXCLUDED.title, description = EXCLUDED.description,
              status = EXCLUDED.status, "startsAt" = EXCLUDED."startsAt",
              "plannedDurationMinutes" = EXCLUDED."plannedDurationMinutes", "startedAt" = EXCLUDED."startedAt",
              "endedAt" = EXCLUDED."endedAt", "updatedAt" = now()
        RETURNING (xmax = 0) AS inserted`,
    );
    result.sessions[session.status]++;
    const start = (startedAt ?? startsAt).getTime();

    for (const [userKey, leftAfter, reason] of session.past ?? []) {
      const userId = users.get(userKey);
      if (!userId) continue;
      const participantId = seedId(`participant:${session.key}:${userKey}:past`);
      const leftAt =
        leftAfter === "end" && endedAt ? endedAt : new Date(start + (leftAfter === "end" ? 0 : leftAfter) * MINUTE);
      const joinedAt = new Date(start + MINUTE / 2);
      count(
        await tx.$queryRaw<{ inserted: boolean }[]>`
          INSERT INTO "SessionParticipant" (id, "sessionId", "userId", "joinedAt", "lastSeenAt", "leftAt", "leaveReason")
          VALUES (${participantId}::uuid, ${id}::uuid, ${userId}::uuid, ${joinedAt}::timestamptz, ${leftAt}::timestamptz,
                  ${leftAt}::timestamptz, ${reason}::"LeaveReason")
          ON CONFLICT (id) DO UPDATE
            SET "joinedAt" = EXCLUDED."joinedAt", "lastSeenAt" = EXCLUDED."lastSeenAt",
                "leftAt" = EXCLUDED."leftAt", "leaveReason" = EXCLUDED."leaveReason"
          RETURNING (xmax = 0) AS inserted`,
      );
      result.pastParticipants++;
    }

    for (const [userKey, joinedMinutesAgo] of session.active ?? []) {
      const userId = users.get(userKey);
      if (!userId) continue;
      const participantId = seedId(`participant:${session.key}:${userKey}:active`);
      const joinedAt = new Date(Math.max(start, now - joinedMinutesAgo * MINUTE));
      const lastSeenAt = new Date(now);
      // A fresh insert goes through the partial unique index: if the user already has an active row
      // in this session (from the app, say), nothing is inserted.
      const inserted = await tx.$executeRaw`
        INSERT INTO "SessionParticipant" (id, "sessionId", "userId", "joinedAt", "lastSeenAt")
        SELECT ${participantId}::uuid, ${id}::uuid, ${userId}::uuid, ${joinedAt}::timestamptz, ${lastSeenAt}::timestamptz
         WHERE NOT EXISTS (SELECT 1 FROM "SessionParticipant" WHERE id = ${participantId}::uuid)
        ON CONFLICT ("sessionId", "userId") WHERE "leftAt" IS NULL DO NOTHING`;
      result.created += inserted;
      // The seed's own row from an earlier run: refresh its times, re-opening it if it was closed,
      // unless the user has another active row in this session.
      await tx.$executeRaw`
        UPDATE "SessionParticipant" AS p
           SET "joinedAt" = ${joinedAt}::timestamptz, "lastSeenAt" = ${lastSeenAt}::timestamptz,
               "leftAt" = NULL, "leaveReason" = NULL
         WHERE p.id = ${participantId}::uuid
           AND NOT EXISTS (
             SELECT 1 FROM "SessionParticipant" AS other
              WHERE other."sessionId" = p."sessionId" AND other."userId" = p."userId"
                AND other."leftAt" IS NULL AND other.id <> p.id)`;
      const [mine] = await tx.$queryRaw<{ active: boolean }[]>`
        SELECT "leftAt" IS NULL AS active FROM "SessionParticipant" WHERE id = ${participantId}::uuid`;
      if (mine?.active) result.activeParticipants++;
    }

    for (const [userKey, stars, comment] of session.ratings ?? []) {
      const userId = users.get(userKey);
      if (!userId) continue;
      const ratingId = seedId(`rating:${session.key}:${userKey}`);
      // One rating per (session, user): a rating the seed did not create is left as it is.
      const rows = await tx.$queryRaw<{ inserted: boolean }[]>`
        INSERT INTO "SessionRating" (id, "sessionId", "userId", stars, comment, "createdAt", "updatedAt")
        VALUES (${ratingId}::uuid, ${id}::uuid, ${userId}::uuid, ${stars}::smallint, ${comment}::text,
                ${endedAt ?? startsAt}::timestamptz, ${endedAt ?? startsAt}::timestamptz)
        ON CONFLICT ("sessionId", "userId") DO UPDATE
          SET stars = EXCLUDED.stars, comment = EXCLUDED.comment,
              "createdAt" = EXCLUDED."createdAt", "updatedAt" = EXCLUDED."updatedAt"
          WHERE "SessionRating".id = EXCLUDED.id
        RETURNING (xmax = 0) AS inserted`;
      count(rows);
      if (rows.length) result.ratings++;
    }
  }

  // Enrollments: whoever attended a session of a course, and each course's own `students`; never
  // the course's instructor. A student who unenrolled is enrolled again (demo state, as above).
  const enrolled = new Map<string, Set<string>>();
  const enroll = (courseSlug: string, userKey: string) => {
    const course = COURSES.find((candidate) => candidate.slug === courseSlug);
    if (!course || course.instructor === userKey || userKey === "admin") return;
    enrolled.set(courseSlug, (enrolled.get(courseSlug) ?? new Set()).add(userKey));
  };
  for (const session of SESSIONS) {
    for (const [userKey] of [...(session.active ?? []), ...(session.past ?? [])]) enroll(session.course, userKey);
  }
  for (const course of COURSES) for (const userKey of course.students ?? []) enroll(course.slug, userKey);
  for (const course of COURSES) {
    const courseId = courses.get(course.slug);
    if (!courseId) continue;
    const source = course.policy === "INVITE" ? "INVITE_CODE" : course.policy === "CLOSED" ? "ADDED" : "SELF";
    for (const userKey of enrolled.get(course.slug) ?? []) {
      const userId = users.get(userKey);
      if (!userId) continue;
      result.created += await tx.$executeRaw`
        INSERT INTO "Enrollment" ("courseId", "userId", source, "enrolledAt")
        VALUES (${courseId}::uuid, ${userId}::uuid, ${source}::"EnrollmentSource", ${new Date(now - 30 * DAY)}::timestamptz)
        ON CONFLICT ("courseId", "userId") DO NOTHING`;
      result.enrollments++;
    }
    for (const email of course.invited ?? []) {
      result.created += await tx.$executeRaw`
        INSERT INTO "CourseInvitation" ("courseId", email, "invitedById", "createdAt")
        SELECT ${courseId}::uuid, ${email}::citext, c."instructorId", ${new Date(now - 2 * DAY)}::timestamptz
          FROM "Course" c WHERE c.id = ${courseId}::uuid
           AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u.email = ${email}::citext)
        ON CONFLICT ("courseId", email) DO NOTHING`;
      result.invitations++;
    }
  }
  return result;
}

/** One line per kind, for the CLI. */
export function formatSeedResult(result: SeedResult): string {
  const { LIVE, SCHEDULED, ENDED, CANCELLED } = result.sessions;
  const lines = [
    `${result.users} users, ${result.courses} courses, ${LIVE + SCHEDULED + ENDED + CANCELLED} sessions ` +
      `(${LIVE} live, ${SCHEDULED} upcoming, ${ENDED} ended, ${CANCELLED} cancelled), ` +
      `${result.activeParticipants} active and ${result.pastParticipants} past participants, ${result.ratings} ratings, ` +
      `${result.enrollments} enrollments, ${result.invitations} pending invitations ` +
      `(${result.created} rows created by this run).`,
    ...result.skipped.map((entry) => `Skipped ${entry}.`),
  ];
  return lines.join("\n");
}
