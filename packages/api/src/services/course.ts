import { randomInt } from "node:crypto";
import { Prisma, type Db } from "@livehall/db";
import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import { COURSE_SLUG_MAX_LENGTH } from "../limits";

type CourseServices = Pick<Services, "db">;

/** Who is acting: enough to decide what they may manage. */
export type Actor = Pick<SessionUser, "id" | "role">;

/** The one ownership rule for courses and their sessions: an admin manages any, an instructor their own. */
export function canManageCourse(actor: Actor, course: { instructorId: string }): boolean {
  return actor.role === "ADMIN" || (actor.role === "INSTRUCTOR" && course.instructorId === actor.id);
}

export function assertCanManageCourse(actor: Actor, course: { instructorId: string }): void {
  if (!canManageCourse(actor, course)) {
    throw appError("FORBIDDEN", Reason.FORBIDDEN, "Only the course's instructor or an admin can do this.");
  }
}

/** Loads a course for a change by `actor`: NOT_FOUND when it does not exist, FORBIDDEN when it is not theirs. */
export async function findManagedCourse(services: CourseServices, actor: Actor, courseId: string) {
  const course = await services.db.course.findUnique({
    where: { id: courseId },
    select: { id: true, instructorId: true },
  });
  if (!course) throw appError("NOT_FOUND", Reason.COURSE_NOT_FOUND, "This course does not exist.");
  assertCanManageCourse(actor, course);
  return course;
}

const courseSelect = {
  id: true,
  slug: true,
  title: true,
  description: true,
  createdAt: true,
  updatedAt: true,
  instructor: { select: { id: true, name: true } },
  _count: { select: { sessions: true } },
} satisfies Prisma.CourseSelect;

type CourseRow = Prisma.CourseGetPayload<{ select: typeof courseSelect }>;

function toCourse({ _count, ...course }: CourseRow) {
  return { ...course, sessionCount: _count.sessions };
}

export type CourseView = ReturnType<typeof toCourse>;

export interface CourseListInput {
  cursor?: string | undefined;
  limit: number;
}

/** Courses by title (then id, so the order is total and cursors are stable). */
export async function listCourses(db: Db, input: CourseListInput & { instructorId?: string | undefined }) {
  const rows = await db.course.findMany({
    where: input.instructorId ? { instructorId: input.instructorId } : {},
    orderBy: [{ title: "asc" }, { id: "asc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: courseSelect,
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map(toCourse),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** The courses `actor` manages: an instructor's own, every course for an admin, none for a student. */
export async function listManagedCourses(services: CourseServices, actor: Actor, input: CourseListInput) {
  if (actor.role === "STUDENT") throw appError("FORBIDDEN", Reason.FORBIDDEN, "Instructors only.");
  return listCourses(services.db, { ...input, instructorId: actor.role === "ADMIN" ? undefined : actor.id });
}

/** How many live and upcoming sessions a course page shows. */
export const COURSE_PAGE_SESSION_LIMIT = 20;

/** A course with its live sessions first, then the upcoming ones by start time. */
export async function getCourse(services: CourseServices, courseId: string) {
  const course = await services.db.course.findUnique({
    where: { id: courseId },
    select: {
      ...courseSelect,
      sessions: {
        where: { status: { in: ["LIVE", "SCHEDULED"] } },
        // SessionStatus sorts SCHEDULED before LIVE in Postgres, so desc puts LIVE first.
        orderBy: [{ status: "desc" }, { startsAt: "asc" }, { id: "asc" }],
        take: COURSE_PAGE_SESSION_LIMIT,
        select: {
          id: true,
          title: true,
          status: true,
          startsAt: true,
          plannedDurationMinutes: true,
          startedAt: true,
          _count: { select: { participants: { where: { leftAt: null } } } },
        },
      },
    },
  });
  if (!course) throw appError("NOT_FOUND", Reason.COURSE_NOT_FOUND, "This course does not exist.");
  const { sessions, ...rest } = course;
  return {
    ...toCourse(rest),
    sessions: sessions.map(({ _count, ...session }) => ({ ...session, participantCount: _count.participants })),
  };
}

const SLUG_ATTEMPTS = 5;

/** A URL slug from a title: ASCII lowercase words joined by dashes ("Intro to C++" → "intro-to-c"). */
export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, COURSE_SLUG_MAX_LENGTH)
    .replace(/^-+|-+$/g, "");
  return slug || "course";
}

const SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
const slugSuffix = () => Array.from({ length: 5 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join("");

const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

export interface CreateCourseInput {
  title: string;
  description: string;
  slug?: string | undefined;
}

/**
 * Creates a course taught by `actor`. An explicit slug must be free (CONFLICT SLUG_TAKEN); a generated
 * one gets a short random suffix when taken, and the unique index decides races, not a prior check.
 */
export async function createCourse(
  services: CourseServices,
  actor: Actor,
  input: CreateCourseInput,
): Promise<CourseView> {
  if (actor.role === "STUDENT")
    throw appError("FORBIDDEN", Reason.FORBIDDEN, "Only instructors and admins can create courses.");
  const base = input.slug ?? slugify(input.title);
  for (let attempt = 0; ; attempt++) {
    const slug = attempt === 0 ? base : `${base.slice(0, COURSE_SLUG_MAX_LENGTH)}-${slugSuffix()}`;
    try {
      const created = await services.db.course.create({
        data: { slug, title: input.title, description: input.description, instructorId: actor.id },
        select: courseSelect,
      });
      return toCourse(created);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (input.slug !== undefined)
        throw appError("CONFLICT", Reason.SLUG_TAKEN, "This course address is already taken. Choose another slug.");
      if (attempt + 1 >= SLUG_ATTEMPTS) throw error;
    }
  }
}

export interface UpdateCourseInput {
  courseId: string;
  title?: string | undefined;
  description?: string | undefined;
}

/** Changes a course's title or description; the slug stays, so shared links keep working. */
export async function updateCourse(
  services: CourseServices,
  actor: Actor,
  input: UpdateCourseInput,
): Promise<CourseView> {
  await findManagedCourse(services, actor, input.courseId);
  const updated = await services.db.course.update({
    where: { id: input.courseId },
    data: {
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    },
    select: courseSelect,
  });
  return toCourse(updated);
}
