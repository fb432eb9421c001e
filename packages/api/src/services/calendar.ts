import { createHmac, timingSafeEqual } from "node:crypto";
import { Prisma } from "@livehall/db";
import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import type { Services } from "../context";
import { Reason, appError } from "../errors";
import { getSession, myCourseIds } from "./session-catalog";

/**
 * Calendars (docs/decisions/022): one session as an .ics file, and a user's personal feed of the
 * sessions of their courses. RFC 5545 text comes from ical-generator; times are written in UTC
 * (`…Z`), so every calendar shows them in its own time zone.
 */

type CalendarServices = Pick<Services, "db" | "config" | "clock">;

/** What calendars are told about how often to fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL). */
const FEED_REFRESH_SECONDS = 60 * 60;
/** Past sessions stay in a feed this long, so last week's classes do not vanish from the calendar. */
const FEED_PAST_MS = 30 * 24 * 60 * 60_000;
/** The most events one feed carries (the soonest first after the recent past). */
const FEED_MAX_EVENTS = 500;
const PRODUCT_ID = { company: "Livehall", product: "Livehall", language: "EN" };

interface CalendarSession {
  id: string;
  title: string;
  description: string;
  status: string;
  startsAt: Date;
  plannedDurationMinutes: number;
  sequence: number;
  courseTitle: string;
  instructorName: string;
  createdAt: Date;
  updatedAt: Date;
}

type UrlConfig = Pick<Services["config"], "mail">;

/** The public address of the app (APP_URL), which links in calendars start with, as links in mails do. */
const appUrl = (config: UrlConfig) => config.mail.appUrl;

/** A session's page, where its room opens: the link every calendar event carries. */
function sessionUrl(config: UrlConfig, sessionId: string): string {
  return `${appUrl(config)}/sessions/${sessionId}`;
}

/** The event's UID: the same for a session forever, so calendars update the event instead of adding one. */
export const sessionEventUid = (sessionId: string) => `session-${sessionId}@livehall`;

function toCalendar(
  services: CalendarServices,
  sessions: CalendarSession[],
  options: { name: string; feed: boolean },
): string {
  const calendar = ical({
    name: options.name,
    prodId: PRODUCT_ID,
    method: ICalCalendarMethod.PUBLISH,
    ...(options.feed ? { ttl: FEED_REFRESH_SECONDS } : {}),
  });
  const stamp = services.clock();
  for (const session of sessions) {
    const link = sessionUrl(services.config, session.id);
    const about = [`${session.courseTitle} · with ${session.instructorName}`, session.description.trim()]
      .filter(Boolean)
      .join("\n\n");
    calendar.createEvent({
      id: sessionEventUid(session.id),
      sequence: session.sequence,
      stamp,
      created: session.createdAt,
      lastModified: session.updatedAt,
      start: session.startsAt,
      end: new Date(session.startsAt.getTime() + session.plannedDurationMinutes * 60_000),
      summary: session.status === "CANCELLED" ? `Cancelled: ${session.title}` : session.title,
      description: `${about}\n\nJoin the class: ${link}`,
      location: link,
      url: link,
      status: session.status === "CANCELLED" ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}

const calendarColumns = Prisma.sql`s.id, s.title, s.description, s.status::text AS status, s."startsAt",
  s."plannedDurationMinutes", s.sequence, s."createdAt", s."updatedAt",
  c.title AS "courseTitle", u.name AS "instructorName"`;
const calendarJoins = Prisma.sql`JOIN "Course" c ON c.id = s."courseId" JOIN "User" u ON u.id = c."instructorId"`;

/** A file name made of the title's letters and digits ("intro-to-sql.ics"). */
function fileName(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, "-")
    .slice(0, 60);
  return `${slug || "session"}.ics`;
}

/**
 * GET /sessions/<id>/calendar.ics — one session as a calendar file. Anyone who may see the session's
 * page may have it (the page is public, as session.byId); NOT_FOUND otherwise.
 */
export async function sessionCalendar(
  services: CalendarServices,
  sessionId: string,
): Promise<{ filename: string; ics: string }> {
  await getSession(services, sessionId);
  const rows = await services.db.$queryRaw<CalendarSession[]>`
    SELECT ${calendarColumns} FROM "LiveSession" s ${calendarJoins} WHERE s.id = ${sessionId}::uuid`;
  const session = rows[0]!;
  return { filename: fileName(session.title), ics: toCalendar(services, rows, { name: session.title, feed: false }) };
}

// ---------------------------------------------------------------------------------------------
// The personal feed
// ---------------------------------------------------------------------------------------------

const FEED_ID_HEX = 32;
const FEED_TOKEN = /^[0-9a-f]{32}[A-Za-z0-9_-]{43}$/;

/** The feed's secret: its row id (hex) and an HMAC of it, so the database stores nothing that opens a feed. */
function feedToken(services: Pick<Services, "tokenKeys">, feedId: string): string {
  const id = feedId.replaceAll("-", "");
  return id + createHmac("sha256", services.tokenKeys.calendarFeed).update(id).digest("base64url");
}

/** The feed id a token names, if its signature is right; null for anything else. */
function feedIdOf(services: Pick<Services, "tokenKeys">, token: string): string | null {
  if (!FEED_TOKEN.test(token)) return null;
  const id = token.slice(0, FEED_ID_HEX);
  const expected = Buffer.from(feedToken(services, id));
  if (!timingSafeEqual(expected, Buffer.from(token))) return null;
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

export interface CalendarFeedLink {
  /** https://…/calendar/<token>.ics; null while the user has no feed. */
  url: string | null;
  createdAt: Date | null;
}

type FeedServices = Pick<Services, "db" | "config" | "tokenKeys">;

function toLink(services: FeedServices, feed: { id: string; createdAt: Date } | null): CalendarFeedLink {
  if (!feed) return { url: null, createdAt: null };
  return { url: `${appUrl(services.config)}/calendar/${feedToken(services, feed.id)}.ics`, createdAt: feed.createdAt };
}

/** account.calendarFeed — the user's feed link, if they made one. */
export async function calendarFeedLink(services: FeedServices, userId: string): Promise<CalendarFeedLink> {
  const feed = await services.db.calendarFeed.findUnique({ where: { userId }, select: { id: true, createdAt: true } });
  return toLink(services, feed);
}

/**
 * account.rotateCalendarFeed — a new feed link; the previous one (if any) stops working at once. One
 * statement, so concurrent rotations leave exactly one feed.
 */
export async function rotateCalendarFeed(services: FeedServices, userId: string): Promise<CalendarFeedLink> {
  const rows = await services.db.$queryRaw<{ id: string; createdAt: Date }[]>`
    INSERT INTO "CalendarFeed" ("userId") VALUES (${userId}::uuid)
    ON CONFLICT ("userId") DO UPDATE SET id = gen_random_uuid(), "createdAt" = CURRENT_TIMESTAMP
    RETURNING id, "createdAt"`;
  return toLink(services, rows[0]!);
}

/** account.turnOffCalendarFeed — the feed link stops working; a new one can be made later. */
export async function turnOffCalendarFeed(services: FeedServices, userId: string): Promise<CalendarFeedLink> {
  await services.db.calendarFeed.deleteMany({ where: { userId } });
  return toLink(services, null);
}

/**
 * GET /calendar/<token>.ics — the feed: the sessions of every course the user is enrolled in or
 * teaches, from the last 30 days on (cancelled ones included, so calendars drop them).
 * CALENDAR_FEED_NOT_FOUND for a token that is malformed, forged, rotated or turned off.
 */
export async function calendarFeed(
  services: CalendarServices & Pick<Services, "tokenKeys">,
  token: string,
): Promise<{ ics: string }> {
  const feedId = feedIdOf(services, token);
  const feed = feedId
    ? await services.db.calendarFeed.findUnique({
        where: { id: feedId },
        select: { user: { select: { id: true, name: true, disabledAt: true } } },
      })
    : null;
  if (!feed || feed.user.disabledAt) {
    throw appError("NOT_FOUND", Reason.CALENDAR_FEED_NOT_FOUND, "This calendar link does not exist or was replaced.");
  }
  const since = new Date(services.clock().getTime() - FEED_PAST_MS);
  const sessions = await services.db.$queryRaw<CalendarSession[]>`
    SELECT ${calendarColumns} FROM "LiveSession" s ${calendarJoins}
     WHERE s."courseId" IN ${myCourseIds(feed.user)} AND s."startsAt" >= ${since}::timestamptz
     ORDER BY s."startsAt", s.id LIMIT ${FEED_MAX_EVENTS}::int`;
  return { ics: toCalendar(services, sessions, { name: `Livehall · ${feed.user.name}`, feed: true }) };
}

/** ical's basic UTC form (20261221T090000Z), which Google's template link takes too. */
const basicUtc = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/**
 * Where "Add to calendar" points for a session: its .ics file (any calendar app) and Google
 * Calendar's event template (which cannot open a downloaded file on a phone).
 */
export function addToCalendarLinks(
  config: UrlConfig,
  session: { id: string; title: string; startsAt: Date; plannedDurationMinutes: number; course: { title: string } },
): { ics: string; google: string } {
  const link = sessionUrl(config, session.id);
  const end = new Date(session.startsAt.getTime() + session.plannedDurationMinutes * 60_000);
  const google = new URL("https://calendar.google.com/calendar/render");
  google.searchParams.set("action", "TEMPLATE");
  google.searchParams.set("text", session.title);
  google.searchParams.set("dates", `${basicUtc(session.startsAt)}/${basicUtc(end)}`);
  google.searchParams.set("details", `${session.course.title} on Livehall. Join the class: ${link}`);
  google.searchParams.set("location", link);
  return { ics: `/sessions/${session.id}/calendar.ics`, google: google.toString() };
}
