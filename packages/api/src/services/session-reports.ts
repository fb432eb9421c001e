import type { Services } from "../context";
import { attendedMsSql } from "./attendance";
import type { Actor } from "./course";
import type { LeaveReasonValue } from "./participant-events";
import { spendRoomBudget } from "./room-limits";
import { findManagedSession } from "./session-catalog";

type ReportServices = Pick<Services, "db" | "clock">;

export interface AttendanceRow {
  userId: string;
  name: string;
  isInstructor: boolean;
  /** The user's first join of this session. */
  firstJoinedAt: Date;
  /** When the user's last visit ended; null while they are still in the session. */
  lastLeftAt: Date | null;
  /** Why the last visit ended (null while it goes on). */
  leaveReason: LeaveReasonValue | null;
  /** Total time in the session over every visit, in milliseconds. */
  attendedMs: number;
  /** How many times they joined (a rejoin after leaving or a timeout is a new visit). */
  visits: number;
  active: boolean;
  /** Chat messages they sent (questions included, deleted ones too: what they did). */
  messagesSent: number;
  questionsAsked: number;
  handsRaised: number;
}

export interface Attendance {
  /** Everyone but the course's instructor who ever joined (the items may be fewer: `limit`). */
  total: number;
  /** Mean attended time over those attendees; null without attendees. */
  averageAttendedMs: number | null;
  /** The attendees, the instructor left out. */
  items: AttendanceRow[];
  /** The course's instructor's own time in the session, when they joined it: the host, not an attendee. */
  host: AttendanceRow | null;
}

/**
 * session.attendance — who attended a session and for how long, from the participant history (one
 * row per visit), each user's time as `attendedMsSql` defines it. First joiners first. The course's
 * instructor hosts the session: their time is reported apart and never counted as attendance.
 * The course's instructor or an admin.
 */
export async function sessionAttendance(
  services: ReportServices,
  actor: Actor,
  sessionId: string,
  limit: number,
): Promise<Attendance> {
  await findManagedSession(services, actor, sessionId);
  const now = services.clock();
  const rows = await services.db.$queryRaw<
    (Omit<AttendanceRow, "leaveReason"> & {
      leaveReason: string | null;
      total: number;
      averageAttendedMs: number | null;
    })[]
  >`
    WITH session AS (
      SELECT s.id, s."endedAt", c."instructorId"
        FROM "LiveSession" s JOIN "Course" c ON c.id = s."courseId"
       WHERE s.id = ${sessionId}::uuid
    ),
    chat AS (
      SELECT m."authorId" AS "userId", count(*)::int AS messages, (count(*) FILTER (WHERE m."isQuestion"))::int AS questions
        FROM "ChatMessage" m CROSS JOIN session
       WHERE m."sessionId" = session.id
       GROUP BY m."authorId"
    ),
    hands AS (
      SELECT h."userId", count(*)::int AS raised
        FROM "RaisedHand" h CROSS JOIN session
       WHERE h."sessionId" = session.id
       GROUP BY h."userId"
    ),
    per_user AS (
      SELECT p."userId",
             min(p."joinedAt") AS "firstJoinedAt",
             bool_or(p."leftAt" IS NULL) AS active,
             max(p."leftAt") AS "lastLeftAt",
             (array_agg(p."leaveReason"::text ORDER BY p."joinedAt" DESC, p.id DESC))[1] AS "leaveReason",
             count(*)::int AS visits,
             ${attendedMsSql(now)} AS "attendedMs"
        FROM "SessionParticipant" p CROSS JOIN session
       WHERE p."sessionId" = session.id
       GROUP BY p."userId"
    )
    SELECT pu."userId", u.name, (pu."userId" = session."instructorId") AS "isInstructor",
           pu."firstJoinedAt", CASE WHEN pu.active THEN NULL ELSE pu."lastLeftAt" END AS "lastLeftAt",
           CASE WHEN pu.active THEN NULL ELSE pu."leaveReason" END AS "leaveReason",
           pu."attendedMs", pu.visits, pu.active,
           COALESCE(chat.messages, 0) AS "messagesSent", COALESCE(chat.questions, 0) AS "questionsAsked",
           COALESCE(hands.raised, 0) AS "handsRaised",
           count(*) FILTER (WHERE pu."userId" <> session."instructorId") OVER ()::int AS total,
           avg(pu."attendedMs") FILTER (WHERE pu."userId" <> session."instructorId") OVER ()::float8 AS "averageAttendedMs"
      FROM per_user pu
      JOIN "User" u ON u.id = pu."userId"
      LEFT JOIN chat ON chat."userId" = pu."userId"
      LEFT JOIN hands ON hands."userId" = pu."userId"
      CROSS JOIN session
     -- The host first, so "limit" attendees follow whether or not the host joined.
     ORDER BY (pu."userId" = session."instructorId") DESC, pu."firstJoinedAt", pu."userId"
     LIMIT ${limit + 1}::int`;
  const toRow = (row: (typeof rows)[number]): AttendanceRow => ({
    userId: row.userId,
    name: row.name,
    isInstructor: row.isInstructor,
    firstJoinedAt: row.firstJoinedAt,
    lastLeftAt: row.lastLeftAt,
    leaveReason: row.leaveReason as LeaveReasonValue | null,
    attendedMs: Math.round(row.attendedMs),
    visits: row.visits,
    active: row.active,
    messagesSent: row.messagesSent,
    questionsAsked: row.questionsAsked,
    handsRaised: row.handsRaised,
  });
  const host = rows[0]?.isInstructor ? rows[0] : null;
  return {
    total: rows[0]?.total ?? 0,
    averageAttendedMs: rows[0]?.averageAttendedMs == null ? null : Math.round(rows[0].averageAttendedMs),
    items: rows
      .filter((row) => !row.isInstructor)
      .slice(0, limit)
      .map(toRow),
    host: host ? toRow(host) : null,
  };
}

export interface SessionRatings {
  /** Rounded to one decimal; null without ratings. */
  average: number | null;
  count: number;
  /** How many ratings gave 1, 2, 3, 4 and 5 stars (index 0 is one star). */
  distribution: [number, number, number, number, number];
  /** Latest first (a changed rating counts from its change). */
  items: { userId: string; name: string; stars: number; comment: string | null; ratedAt: Date }[];
}

/** session.ratings — a session's ratings with their comments and who gave them (its instructor or an admin). */
export async function sessionRatings(
  services: ReportServices,
  actor: Actor,
  sessionId: string,
  limit: number,
): Promise<SessionRatings> {
  await findManagedSession(services, actor, sessionId);
  const [summary, items] = await Promise.all([
    services.db.$queryRaw<{ average: number | null; count: number; stars: number[] }[]>`
      SELECT round(avg(r.stars), 1)::float8 AS average, count(*)::int AS count,
             ARRAY[
               count(*) FILTER (WHERE r.stars = 1)::int, count(*) FILTER (WHERE r.stars = 2)::int,
               count(*) FILTER (WHERE r.stars = 3)::int, count(*) FILTER (WHERE r.stars = 4)::int,
               count(*) FILTER (WHERE r.stars = 5)::int
             ] AS stars
        FROM "SessionRating" r WHERE r."sessionId" = ${sessionId}::uuid`,
    services.db.sessionRating.findMany({
      where: { sessionId },
      orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      take: limit,
      select: { stars: true, comment: true, updatedAt: true, user: { select: { id: true, name: true } } },
    }),
  ]);
  const row = summary[0];
  const distribution = (row?.stars ?? [0, 0, 0, 0, 0]) as SessionRatings["distribution"];
  return {
    average: row?.average ?? null,
    count: row?.count ?? 0,
    distribution,
    items: items.map((item) => ({
      userId: item.user.id,
      name: item.user.name,
      stars: item.stars,
      comment: item.comment,
      ratedAt: item.updatedAt,
    })),
  };
}

/** The most rows an attendance export holds (one per person who ever joined). */
export const ATTENDANCE_EXPORT_MAX = 50_000;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled. Text
 * a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const LEFT_BECAUSE: Record<LeaveReasonValue, string> = {
  LEFT: "Left",
  TIMEOUT: "Connection lost",
  ENDED: "Session ended",
  DUPLICATE: "Duplicate visit closed",
  REMOVED: "Removed by the host",
  UNENROLLED: "Left the course",
};

const CSV_HEADER = [
  "Name",
  "Role",
  "Minutes attended",
  "Visits",
  "First joined (UTC)",
  "Last left (UTC)",
  "Left because",
  "Messages sent",
  "Questions asked",
  "Hands raised",
];

/**
 * session.attendanceCsv — the attendance report as CSV (UTF-8 with a byte-order mark, CRLF lines,
 * RFC 4180 quoting): the host's row first, marked "Host", then one row per student. Every download
 * reads every attendee (up to ATTENDANCE_EXPORT_MAX rows): budgeted per user (`ROOM_RATE_EXPORT_*`),
 * 429 RATE_LIMITED past it.
 */
export async function attendanceCsv(
  services: ReportServices & Pick<Services, "redis" | "keys" | "config">,
  actor: Actor,
  sessionId: string,
): Promise<{ filename: string; csv: string }> {
  await spendRoomBudget(
    services,
    "export",
    actor.id,
    "You downloaded this report several times in a row. Try again in a few seconds.",
  );
  const report = await sessionAttendance(services, actor, sessionId, ATTENDANCE_EXPORT_MAX);
  const line = (row: AttendanceRow, role: string) =>
    [
      row.name,
      role,
      Math.round(row.attendedMs / 6_000) / 10,
      row.visits,
      row.firstJoinedAt.toISOString(),
      row.lastLeftAt?.toISOString() ?? null,
      row.active ? "Still in the room" : row.leaveReason && LEFT_BECAUSE[row.leaveReason],
      row.messagesSent,
      row.questionsAsked,
      row.handsRaised,
    ]
      .map(csvField)
      .join(",");
  const rows = [
    CSV_HEADER.join(","),
    ...(report.host ? [line(report.host, "Host")] : []),
    ...report.items.map((row) => line(row, "Student")),
  ];
  return { filename: `attendance-${sessionId}.csv`, csv: `\uFEFF${rows.join("\r\n")}\r\n` };
}
