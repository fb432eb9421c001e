import { Prisma } from "@livehall/db";
import type { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Services } from "../context";
import { Reason, appError } from "../errors";
import { attendedMsSql } from "./attendance";
import { assertCanManageCourse, findManagedCourse, type Actor } from "./course";
import { newRoomPlacement, openRoomSoon } from "./media-rooms";
import { planReminder } from "./session-mail";

type CatalogServices = Pick<Services, "db" | "clock">;

export type SessionStatus = "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";
export const SESSION_TABS = ["all", "live", "upcoming", "ended"] as const;
export type SessionTab = (typeof SESSION_TABS)[number];

/** A session may be scheduled this far in the past (clock skew, "starting now" forms left open). */
export const START_GRACE_MS = 5 * 60_000;
/** …and at most this far ahead. */
export const MAX_SCHEDULE_AHEAD_MS = 2 * 365 * 24 * 60 * 60_000;
/** Starting more than this long before the planned time asks for confirmation (`early`). */
export const EARLY_START_CONFIRM_MS = 15 * 60_000;
/** List items carry a description preview of at most this many characters; byId has it in full. */
export const DESCRIPTION_PREVIEW_LENGTH = 280;

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

interface SessionRow {
  id: string;
  title: string;
  description: string;
  status: SessionStatus;
  startsAt: Date;
  plannedDurationMinutes: number;
  startedAt: Date | null;
  endedAt: Date | null;
  endedReason: "HOST" | "OVERRUN" | null;
  courseId: string;
  courseTitle: string;
  courseSlug: string;
  instructorId: string;
  instructorName: string;
  participantCount: number;
  ratingAverage: number | null;
  ratingCount: number;
}

function toSessionView(row: SessionRow) {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    startsAt: row.startsAt,
    plannedDurationMinutes: row.plannedDurationMinutes,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    /** Who ended or cancelled it: its host, or OVERRUN (ended automatically, nobody hosting). */
    endedReason: row.endedReason,
    course: { id: row.courseId, title: row.courseTitle, slug: row.courseSlug },
    instructor: { id: row.instructorId, name: row.instructorName },
    participantCount: row.participantCount,
    rating: { average: row.ratingAverage, count: row.ratingCount },
  };
}

export type SessionView = ReturnType<typeof toSessionView>;

/**
 * The columns of a session view for rows `s` of "LiveSession": course and instructor joined, counts
 * from subselects per row (so a page costs one query, not one per item). Active participants are rows
 * with "leftAt" IS NULL; the rating average is rounded to one decimal, null without ratings.
 */
function sessionViewQuery(
  description: Prisma.Sql,
  from: Prisma.Sql,
  tail: Prisma.Sql,
  extraColumns: Prisma.Sql = Prisma.empty,
) {
  return Prisma.sql`
    SELECT ${extraColumns} s.id, s.title, ${description} AS description, s.status::text AS status, s."startsAt",
           s."plannedDurationMinutes", s."startedAt", s."endedAt", s."endedReason"::text AS "endedReason",
           c.id AS "courseId", c.title AS "courseTitle", c.slug AS "courseSlug",
           u.id AS "instructorId", u.name AS "instructorName",
           (SELECT count(*)::int FROM "SessionParticipant" p WHERE p."sessionId" = s.id AND p."leftAt" IS NULL) AS "participantCount",
           r.average AS "ratingAverage", r.count AS "ratingCount"
      FROM ${from}
      JOIN "Course" c ON c.id = s."courseId"
      JOIN "User" u ON u.id = c."instructorId"
      LEFT JOIN LATERAL (
        SELECT round(avg(sr.stars), 1)::float8 AS average, count(*)::int AS count
          FROM "SessionRating" sr WHERE sr."sessionId" = s.id
      ) r ON true
    ${tail}`;
}

const DESCRIPTION_PREVIEW = Prisma.sql`CASE WHEN length(s.description) > ${DESCRIPTION_PREVIEW_LENGTH}::int
  THEN rtrim(left(s.description, ${DESCRIPTION_PREVIEW_LENGTH - 1}::int)) || '…' ELSE s.description END`;

/** One session as the catalog shows it (public). */
export async function getSession(services: Pick<Services, "db">, sessionId: string): Promise<SessionView> {
  const rows = await services.db.$queryRaw<SessionRow[]>(
    sessionViewQuery(
      Prisma.sql`s.description`,
      Prisma.sql`"LiveSession" s`,
      Prisma.sql`WHERE s.id = ${sessionId}::uuid`,
    ),
  );
  const row = rows[0];
  if (!row) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  return toSessionView(row);
}

// ---------------------------------------------------------------------------------------------
// Managing sessions
// ---------------------------------------------------------------------------------------------

/**
 * Loads a session for a change by `actor` (the course's instructor or an admin): NOT_FOUND when it
 * does not exist, FORBIDDEN when it is not theirs.
 */
export async function findManagedSession(services: Pick<Services, "db">, actor: Actor, sessionId: string) {
  const session = await services.db.liveSession.findUnique({
    where: { id: sessionId },
    select: { id: true, status: true, courseId: true, course: { select: { instructorId: true } } },
  });
  if (!session) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  assertCanManageCourse(actor, session.course);
  return {
    id: session.id,
    status: session.status as SessionStatus,
    courseId: session.courseId,
    instructorId: session.course.instructorId,
  };
}

/** A new start time must be from about now (START_GRACE_MS) to two years ahead. */
export function assertStartAllowed(services: Pick<Services, "clock">, startsAt: Date): void {
  const now = services.clock().getTime();
  if (startsAt.getTime() < now - START_GRACE_MS) {
    throw appError("BAD_REQUEST", Reason.INVALID_INPUT, "The start time is in the past. Choose a time from now on.");
  }
  if (startsAt.getTime() > now + MAX_SCHEDULE_AHEAD_MS) {
    throw appError("BAD_REQUEST", Reason.INVALID_INPUT, "The start time is too far ahead (two years at most).");
  }
}

export interface CreateSessionInput {
  courseId: string;
  title: string;
  description: string;
  startsAt: Date;
  plannedDurationMinutes: number;
}

/** Schedules a session of a course the actor manages, and its reminder. */
export async function createSession(
  services: CatalogServices & Pick<Services, "jobs" | "config" | "logger">,
  actor: Actor,
  input: CreateSessionInput,
): Promise<SessionView> {
  assertStartAllowed(services, input.startsAt);
  await findManagedCourse(services, actor, input.courseId);
  const created = await services.db.liveSession.create({
    data: { ...input, status: "SCHEDULED" },
    select: { id: true, sequence: true, startsAt: true },
  });
  await planReminder(services, created);
  return getSession(services, created.id);
}

/**
 * SCHEDULED → LIVE. The conditional UPDATE makes concurrent starts safe: exactly one of them moves
 * the session and sets startedAt; the others (and any later call) find it LIVE and answer the same.
 * More than EARLY_START_CONFIRM_MS before the planned time it starts only with `early` (the page
 * asks first): otherwise CONFLICT STARTS_LATER, with the planned time in `at`.
 */
export async function startSession(
  services: CatalogServices & Pick<Services, "redis" | "keys" | "media" | "logger">,
  actor: Actor,
  sessionId: string,
  { early = false }: { early?: boolean } = {},
): Promise<SessionView> {
  await findManagedSession(services, actor, sessionId);
  const now = services.clock();
  const { count } = await services.db.liveSession.updateMany({
    where: {
      id: sessionId,
      status: "SCHEDULED",
      ...(early ? {} : { startsAt: { lte: new Date(now.getTime() + EARLY_START_CONFIRM_MS) } }),
    },
    // Its media room is placed in the same statement, and created on the media server right after, in
    // the background: a slow media server never holds up the start (media.reconcile retries).
    data: { status: "LIVE", startedAt: now, ...(await newRoomPlacement(services)) },
  });
  if (count === 1) void openRoomSoon(services, sessionId);
  const session = await getSession(services, sessionId);
  if (count === 0 && session.status === "SCHEDULED") {
    throw appError(
      "CONFLICT",
      Reason.STARTS_LATER,
      "This session is planned to start later. Confirm that you want to start it early.",
      { at: session.startsAt },
    );
  }
  if (count === 0 && session.status !== "LIVE") {
    throw appError(
      "CONFLICT",
      Reason.SESSION_NOT_STARTABLE,
      `This session is ${session.status.toLowerCase()} and cannot be started.`,
    );
  }
  return session;
}

// ---------------------------------------------------------------------------------------------
// The catalog: session.list
// ---------------------------------------------------------------------------------------------

/**
 * A run of the list with one fixed order. A tab is one or more segments shown one after the other
 * (by rank); inside a segment rows are ordered by `sortAt` then id, both in `direction`, so every
 * order is total and a keyset cursor (rank, sortAt, id) is stable while rows are added. A segment
 * with several statuses reads each status as its own index range and merges them.
 */
interface Segment {
  rank: number;
  statuses: SessionStatus[];
  /** The sort expression over `s`; must match the index expressions so the order comes from an index. */
  sortAt: Prisma.Sql;
  direction: "asc" | "desc";
}

// A LIVE session always has startedAt; the fallback only keeps the key total for hand-made rows.
const LIVE: Segment = {
  rank: 0,
  statuses: ["LIVE"],
  sortAt: Prisma.sql`COALESCE(s."startedAt", s."startsAt")`,
  direction: "desc",
};
const UPCOMING: Segment = { rank: 1, statuses: ["SCHEDULED"], sortAt: Prisma.sql`s."startsAt"`, direction: "asc" };
// Same expression as "LiveSession_ended_order_idx" (status, this desc, id desc); cancelled sessions
// usually have no endedAt.
const ENDED_SORT = Prisma.sql`COALESCE(s."endedAt", s."startsAt")`;

/**
 * Tabs and their documented order:
 * - live: startedAt desc, id desc
 * - upcoming: startsAt asc, id asc
 * - ended (ENDED and CANCELLED together): coalesce(endedAt, startsAt) desc, id desc
 * - all: LIVE, SCHEDULED, ENDED, CANCELLED, each in its tab's order
 */
const TAB_SEGMENTS: Record<SessionTab, Segment[]> = {
  live: [LIVE],
  upcoming: [UPCOMING],
  ended: [{ rank: 2, statuses: ["ENDED", "CANCELLED"], sortAt: ENDED_SORT, direction: "desc" }],
  all: [
    LIVE,
    UPCOMING,
    { rank: 2, statuses: ["ENDED"], sortAt: ENDED_SORT, direction: "desc" },
    { rank: 3, statuses: ["CANCELLED"], sortAt: ENDED_SORT, direction: "desc" },
  ],
};

/** What a cursor stands for: the last item of the previous page, in its tab. */
const cursorSchema = z.strictObject({
  tab: z.enum(SESSION_TABS),
  rank: z.number().int().min(0).max(7),
  sortAt: z.iso.datetime(),
  id: z.uuid(),
});
type CursorKey = z.infer<typeof cursorSchema>;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes an opaque cursor; anything that is not one of ours for this tab is a bad request, never a 500. */
export function decodeCursor(cursor: string, tab: SessionTab): CursorKey {
  const invalid = () =>
    appError("BAD_REQUEST", Reason.INVALID_INPUT, "This list cursor is not valid. Load the list again.");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(json);
  if (
    !parsed.success ||
    parsed.data.tab !== tab ||
    !TAB_SEGMENTS[tab].some((segment) => segment.rank === Math.floor(parsed.data.rank / 2))
  ) {
    throw invalid();
  }
  return parsed.data;
}

/** `%`, `_` and `\` match literally inside ILIKE patterns (backslash is Postgres' default escape). */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, "\\$&")}%`;
}

export interface ListSessionsInput {
  tab: SessionTab;
  search?: string | undefined;
  courseId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
  /** Who is looking: decides which courses' sessions they see and which are theirs. */
  viewer?: Actor | null | undefined;
  /** Only the viewer's courses ("My courses"). */
  mine?: boolean | undefined;
}

/**
 * The courses that are the viewer's own: enrolled in, or teaching. Their sessions come first in
 * every segment and are all the "My courses" filter shows.
 */
/** The courses a user is enrolled in or teaches. */
export function myCourseIds(viewer: Pick<Actor, "id">): Prisma.Sql {
  return Prisma.sql`(SELECT e."courseId" FROM "Enrollment" e WHERE e."userId" = ${viewer.id}::uuid
                     UNION ALL SELECT c.id FROM "Course" c WHERE c."instructorId" = ${viewer.id}::uuid)`;
}

/** Open courses: their sessions are listed to everyone (docs/decisions/020). */
const OPEN_COURSE_IDS = Prisma.sql`(SELECT c.id FROM "Course" c WHERE c."enrollmentPolicy" = 'OPEN')`;

/**
 * Who sees which sessions in the catalog: everyone those of open courses, a signed-in user also
 * those of their own courses (first: `mine` parts), an admin every session. A part is a rank: the
 * segment's rank × 2, + 1 for the part that is not the viewer's own.
 */
function catalogParts(input: ListSessionsInput): { mine: boolean; filter: Prisma.Sql }[] {
  const viewer = input.viewer ?? null;
  if (!viewer) return [{ mine: false, filter: Prisma.sql`s."courseId" IN ${OPEN_COURSE_IDS}` }];
  const mine = { mine: true, filter: Prisma.sql`s."courseId" IN ${myCourseIds(viewer)}` };
  if (input.mine) return [mine];
  const notMine = Prisma.sql`s."courseId" NOT IN ${myCourseIds(viewer)}`;
  return [
    mine,
    {
      mine: false,
      filter: viewer.role === "ADMIN" ? notMine : Prisma.sql`${notMine} AND s."courseId" IN ${OPEN_COURSE_IDS}`,
    },
  ];
}

/**
 * The one query behind session.list (exported so its plan can be measured). Each (segment, part,
 * status) is a branch read in index order and limited to one page, so no branch ever sorts or scans
 * a whole tab; the branches are merged by rank and sort key and the page is cut; only then do the
 * page's rows get their course, instructor and counts.
 *
 * Search matches session title, course title or instructor name. It is a UNION of three lookups,
 * each able to use its own trigram index ("…_trgm_idx"), rather than one OR across a join, which
 * no index can serve.
 */
export function listSessionsQuery(input: ListSessionsInput): Prisma.Sql {
  const cursor = input.cursor !== undefined ? decodeCursor(input.cursor, input.tab) : null;
  const parts = TAB_SEGMENTS[input.tab]
    .flatMap((segment) =>
      catalogParts(input).map((part) => ({ ...part, segment, rank: segment.rank * 2 + (part.mine ? 0 : 1) })),
    )
    .filter((part) => !cursor || part.rank >= cursor.rank);
  const pageSize = input.limit + 1;
  const search = input.search ? likePattern(input.search) : null;

  const filters: Prisma.Sql[] = [];
  if (input.courseId) filters.push(Prisma.sql`s."courseId" = ${input.courseId}::uuid`);
  if (search) filters.push(Prisma.sql`s.id IN (SELECT id FROM matches)`);

  const branches = parts
    .flatMap((part) => part.segment.statuses.map((status) => ({ part, status })))
    .map(({ part, status }) => {
      const { segment, rank } = part;
      const conditions = [Prisma.sql`s.status = ${Prisma.raw(`'${status}'`)}`, part.filter, ...filters];
      const direction = Prisma.raw(segment.direction === "asc" ? "ASC" : "DESC");
      if (cursor && rank === cursor.rank) {
        const after = Prisma.raw(segment.direction === "asc" ? ">" : "<");
        conditions.push(
          Prisma.sql`(${segment.sortAt}, s.id) ${after} (${new Date(cursor.sortAt)}::timestamptz, ${cursor.id}::uuid)`,
        );
      }
      return Prisma.sql`(
      SELECT s.id, ${rank}::int AS rank, ${segment.sortAt} AS "sortAt"
        FROM "LiveSession" s
       WHERE ${Prisma.join(conditions, " AND ")}
       ORDER BY ${segment.sortAt} ${direction}, s.id ${direction}
       LIMIT ${pageSize}::int)`;
    });

  // Inside the page: rank first, then each segment's own direction.
  const ascendingRanks = parts.filter((part) => part.segment.direction === "asc").map((part) => part.rank);
  const pageOrder = ascendingRanks.length
    ? Prisma.sql`m.rank,
        CASE WHEN m.rank IN (${Prisma.join(ascendingRanks)}) THEN m."sortAt" END ASC,
        CASE WHEN m.rank IN (${Prisma.join(ascendingRanks)}) THEN m.id END ASC,
        m."sortAt" DESC, m.id DESC`
    : Prisma.sql`m.rank, m."sortAt" DESC, m.id DESC`;

  const matches = search
    ? Prisma.sql`matches AS (
        SELECT id FROM "LiveSession" WHERE title ILIKE ${search}
        UNION
        SELECT ls.id FROM "LiveSession" ls JOIN "Course" mc ON mc.id = ls."courseId" WHERE mc.title ILIKE ${search}
        UNION
        SELECT ls.id FROM "LiveSession" ls
          JOIN "Course" mc ON mc.id = ls."courseId"
          JOIN "User" mu ON mu.id = mc."instructorId"
         WHERE mu.name ILIKE ${search}
      ),`
    : Prisma.empty;

  return Prisma.sql`
    WITH ${matches} page AS (
      SELECT m.id, m.rank, m."sortAt", row_number() OVER (ORDER BY ${pageOrder}) AS position
        FROM (${Prisma.join(branches, " UNION ALL ")}) m
       ORDER BY position
       LIMIT ${pageSize}::int
    )
    ${sessionViewQuery(
      DESCRIPTION_PREVIEW,
      Prisma.sql`page JOIN "LiveSession" s ON s.id = page.id`,
      Prisma.sql`ORDER BY page.position`,
      // The page's sort keys, for the next cursor.
      Prisma.sql`page.rank AS "pageRank", page."sortAt" AS "pageSortAt",`,
    )}`;
}

/**
 * The catalog: a page of sessions for one tab, optionally searched and filtered by course, of the
 * courses the viewer may see (their own first).
 */
export async function listSessions(services: Pick<Services, "db">, input: ListSessionsInput) {
  const rows = await services.db.$queryRaw<(SessionRow & { pageRank: number; pageSortAt: Date })[]>(
    listSessionsQuery(input),
  );
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(toSessionView),
    nextCursor:
      rows.length > input.limit && last
        ? encodeCursor({ tab: input.tab, rank: last.pageRank, sortAt: last.pageSortAt.toISOString(), id: last.id })
        : null,
  };
}

/** Whether the catalog shows the viewer sessions of the course `courseId` (the rule of `catalogParts`). */
function visibleCourse(viewer: Actor | null, courseId: Prisma.Sql): Prisma.Sql {
  if (viewer?.role === "ADMIN") return Prisma.sql`true`;
  const open = Prisma.sql`${courseId} IN ${OPEN_COURSE_IDS}`;
  return viewer ? Prisma.sql`(${open} OR ${courseId} IN ${myCourseIds(viewer)})` : open;
}

/** Headline numbers for the live-sessions page, over the sessions the viewer sees there. */
export async function sessionStats(services: Pick<Services, "db">, viewer: Actor | null = null) {
  const visible = visibleCourse(viewer, Prisma.sql`s."courseId"`);
  const [row] = await services.db.$queryRaw<
    { liveNow: number; upcoming: number; participantsNow: number; averageRating: number | null; ratingCount: number }[]
  >`
    SELECT (SELECT count(*)::int FROM "LiveSession" s WHERE s.status = 'LIVE' AND ${visible}) AS "liveNow",
           (SELECT count(*)::int FROM "LiveSession" s WHERE s.status = 'SCHEDULED' AND ${visible}) AS upcoming,
           (SELECT count(*)::int FROM "SessionParticipant" p JOIN "LiveSession" s ON s.id = p."sessionId"
             WHERE p."leftAt" IS NULL AND s.status = 'LIVE' AND ${visible}) AS "participantsNow",
           r.average AS "averageRating", r.count AS "ratingCount"
      FROM (SELECT round(avg(sr.stars), 1)::float8 AS average, count(*)::int AS count
              FROM "SessionRating" sr JOIN "LiveSession" s ON s.id = sr."sessionId" WHERE ${visible}) r`;
  return row!;
}

/** How many sessions /schedule lists at most. */
export const SCHEDULE_LIMIT = 100;

/**
 * session.schedule — the user's live and upcoming sessions across their courses (enrolled in or
 * teaching): live ones first (latest started first), then the upcoming ones by start time.
 */
export async function mySchedule(services: Pick<Services, "db">, viewer: Actor): Promise<SessionView[]> {
  const rows = await services.db.$queryRaw<SessionRow[]>(
    sessionViewQuery(
      DESCRIPTION_PREVIEW,
      Prisma.sql`"LiveSession" s`,
      Prisma.sql`WHERE s.status IN ('LIVE', 'SCHEDULED') AND s."courseId" IN ${myCourseIds(viewer)}
        ORDER BY s.status DESC, CASE WHEN s.status = 'LIVE' THEN s."startedAt" END DESC, s."startsAt", s.id
        LIMIT ${SCHEDULE_LIMIT}::int`,
    ),
  );
  return rows.map(toSessionView);
}

// ---------------------------------------------------------------------------------------------
// Ratings
// ---------------------------------------------------------------------------------------------

const RATEABLE: SessionStatus[] = ["LIVE", "ENDED"];

export interface RateSessionInput {
  sessionId: string;
  stars: number;
  comment?: string | null | undefined;
}

const ratingSelect = { sessionId: true, stars: true, comment: true, createdAt: true, updatedAt: true } as const;

type RatingServices = Pick<Services, "db" | "clock" | "config">;

export type RatingEligibility =
  { canRate: true; reason: null; message: null } | { canRate: false; reason: Reason; message: string };

const refusal = (reason: Reason, message: string): RatingEligibility => ({ canRate: false, reason, message });

const REFUSAL_CODE: Partial<Record<Reason, TRPCError["code"]>> = { [Reason.SESSION_NOT_RATEABLE]: "CONFLICT" };

/**
 * Who may rate a session (the one rule; the room shows the form from it too): students enrolled in
 * its course (docs/decisions/020), not the course's own instructor, once they attended at least
 * RATING_MIN_ATTENDANCE_SECONDS in total (`attendedMsSql`), while the session is live or after it ended.
 */
export async function ratingEligibility(
  services: RatingServices,
  userId: string,
  sessionId: string,
): Promise<RatingEligibility> {
  const [session] = await services.db.$queryRaw<
    { status: SessionStatus; instructorId: string; enrolled: boolean; visits: number; attendedMs: number }[]
  >`
    WITH session AS (
      SELECT s.id, s.status, s."endedAt", c."instructorId",
             EXISTS (SELECT 1 FROM "Enrollment" e WHERE e."courseId" = c.id AND e."userId" = ${userId}::uuid) AS enrolled
        FROM "LiveSession" s JOIN "Course" c ON c.id = s."courseId"
       WHERE s.id = ${sessionId}::uuid
    )
    SELECT session.status, session."instructorId", session.enrolled, count(p.id)::int AS visits,
           ${attendedMsSql(services.clock())} AS "attendedMs"
      FROM session LEFT JOIN "SessionParticipant" p ON p."sessionId" = session.id AND p."userId" = ${userId}::uuid
     GROUP BY session.status, session."instructorId", session.enrolled`;
  if (!session) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  if (!RATEABLE.includes(session.status)) {
    return refusal(Reason.SESSION_NOT_RATEABLE, "This session can be rated once it is live or has ended.");
  }
  if (session.instructorId === userId) {
    return refusal(Reason.RATING_NOT_ALLOWED, "You teach this course, so you cannot rate its sessions.");
  }
  if (session.visits === 0) {
    return refusal(Reason.NOT_AN_ATTENDEE, "Only people who attended this session can rate it.");
  }
  if (!session.enrolled) {
    return refusal(Reason.NOT_ENROLLED, "Only students enrolled in this course can rate its sessions.");
  }
  const minimumMs = services.config.timings.ratingMinAttendanceMs;
  if (session.attendedMs < minimumMs) {
    const minimum = Math.ceil(minimumMs / 1000);
    return refusal(
      Reason.NOT_ENOUGH_ATTENDANCE,
      `You can rate this session after attending it for at least ${minimum} second${minimum === 1 ? "" : "s"}.`,
    );
  }
  return { canRate: true, reason: null, message: null };
}

/**
 * Rates a session the user may rate (`ratingEligibility`). One rating per user and session: rating
 * again replaces stars and comment.
 */
export async function rateSession(services: RatingServices, userId: string, input: RateSessionInput) {
  const eligibility = await ratingEligibility(services, userId, input.sessionId);
  if (!eligibility.canRate) {
    throw appError(REFUSAL_CODE[eligibility.reason] ?? "FORBIDDEN", eligibility.reason, eligibility.message);
  }
  const comment = input.comment?.trim() || null;
  const now = services.clock();
  // One statement, so two concurrent ratings by the same user update rather than collide.
  const [rating] = await services.db.$queryRaw<
    { sessionId: string; stars: number; comment: string | null; createdAt: Date; updatedAt: Date }[]
  >`
    INSERT INTO "SessionRating" ("sessionId", "userId", stars, comment, "createdAt", "updatedAt")
    VALUES (${input.sessionId}::uuid, ${userId}::uuid, ${input.stars}::smallint, ${comment}, ${now}, ${now})
    ON CONFLICT ("sessionId", "userId") DO UPDATE SET stars = EXCLUDED.stars, comment = EXCLUDED.comment, "updatedAt" = EXCLUDED."updatedAt"
    RETURNING "sessionId", stars::int AS stars, comment, "createdAt", "updatedAt"`;
  return rating!;
}

/** The caller's rating of a session, or null when they have not rated it. */
export async function myRating(services: Pick<Services, "db">, userId: string, sessionId: string) {
  const rating = await services.db.sessionRating.findUnique({
    where: { sessionId_userId: { sessionId, userId } },
    select: ratingSelect,
  });
  if (rating) return rating;
  const exists = await services.db.liveSession.findUnique({ where: { id: sessionId }, select: { id: true } });
  if (!exists) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  return null;
}
