import type { Services } from "../context";
import { Reason, appError } from "../errors";
import { findManagedCourse, type Actor } from "./course";
import {
  assertStartAllowed,
  findManagedSession,
  getSession,
  type CreateSessionInput,
  type SessionView,
} from "./session-catalog";
import { planReminder } from "./session-mail";
import { addLocalDays } from "./time-zone";

/** Scheduling also plans reminders (services/session-mail.ts). */
type SchedulingServices = Pick<Services, "db" | "clock" | "jobs" | "config" | "logger">;

/** A weekly series has 2 to 26 sessions (half a year), created together. */
export const SERIES_MIN = 2;
export const SERIES_MAX = 26;
const WEEK_DAYS = 7;
const WEEK_MS = WEEK_DAYS * 24 * 60 * 60_000;

const notEditable = (status: string) =>
  appError(
    "CONFLICT",
    Reason.SESSION_NOT_EDITABLE,
    `This session is ${status.toLowerCase()}, so it can no longer be changed. Only sessions that have not started can be edited.`,
  );

export interface UpdateSessionInput {
  sessionId: string;
  title?: string | undefined;
  description?: string | undefined;
  startsAt?: Date | undefined;
  plannedDurationMinutes?: number | undefined;
}

/**
 * session.update — title, description, start and length of a session that has not started. The
 * UPDATE is conditional on SCHEDULED, so a start racing the edit wins and the edit is a CONFLICT.
 * A new start time follows the scheduling rule; an unchanged one is not checked again. A new start
 * or length moves the session: its sequence (the calendar event's SEQUENCE) grows and its reminder
 * moves with it.
 */
export async function updateSession(
  services: SchedulingServices,
  actor: Actor,
  { sessionId, ...changes }: UpdateSessionInput,
): Promise<SessionView> {
  const before = await findManagedSession(services, actor, sessionId);
  if (before.status !== "SCHEDULED") throw notEditable(before.status);
  const current = await services.db.liveSession.findUniqueOrThrow({
    where: { id: sessionId },
    select: { startsAt: true, plannedDurationMinutes: true },
  });
  const newStart = changes.startsAt !== undefined && current.startsAt.getTime() !== changes.startsAt.getTime();
  if (newStart) assertStartAllowed(services, changes.startsAt!);
  const moved =
    newStart ||
    (changes.plannedDurationMinutes !== undefined && changes.plannedDurationMinutes !== current.plannedDurationMinutes);
  const updated = await services.db.liveSession.updateManyAndReturn({
    where: { id: sessionId, status: "SCHEDULED" },
    data: { ...changes, updatedAt: services.clock(), ...(moved ? { sequence: { increment: 1 } } : {}) },
    select: { id: true, sequence: true, startsAt: true },
  });
  if (moved && updated[0]) await planReminder(services, updated[0]);
  const session = await getSession(services, sessionId);
  if (updated.length === 0) throw notEditable(session.status);
  return session;
}

/** The weekly occurrence `weeks` after `start`, at the same local time in `timeZone`. */
const weeksLater = (start: Date, weeks: number, timeZone: string) => addLocalDays(start, weeks * WEEK_DAYS, timeZone);

/**
 * session.duplicate — a new scheduled session with the same course, title, description and length,
 * at `startsAt`, or by default at the same local time (in `timeZone`) one week later — or, for a
 * session further back, the first such weekly time that is not past.
 */
export async function duplicateSession(
  services: SchedulingServices,
  actor: Actor,
  input: { sessionId: string; startsAt?: Date | undefined; timeZone: string },
): Promise<SessionView> {
  await findManagedSession(services, actor, input.sessionId);
  const source = await services.db.liveSession.findUniqueOrThrow({
    where: { id: input.sessionId },
    select: { courseId: true, title: true, description: true, startsAt: true, plannedDurationMinutes: true },
  });
  let startsAt = input.startsAt;
  if (!startsAt) {
    const now = services.clock().getTime();
    let weeks = Math.max(1, Math.ceil((now - source.startsAt.getTime()) / WEEK_MS));
    startsAt = weeksLater(source.startsAt, weeks, input.timeZone);
    // A daylight saving change in between can leave the estimate an hour short of now.
    while (startsAt.getTime() < now) startsAt = weeksLater(source.startsAt, ++weeks, input.timeZone);
  }
  assertStartAllowed(services, startsAt);
  const created = await services.db.liveSession.create({
    data: {
      courseId: source.courseId,
      title: source.title,
      description: source.description,
      plannedDurationMinutes: source.plannedDurationMinutes,
      startsAt,
      status: "SCHEDULED",
    },
    select: { id: true, sequence: true, startsAt: true },
  });
  await planReminder(services, created);
  return getSession(services, created.id);
}

/** The start times of a weekly series: `count` weeks from `first`, each at its local time in `timeZone`. */
export function weeklyStarts(first: Date, count: number, timeZone: string): Date[] {
  return Array.from({ length: count }, (_, week) => weeksLater(first, week, timeZone));
}

/**
 * session.createSeries — `count` weekly sessions of a course in one transaction, all with the same
 * title, description and length, each at the first one's local time in the instructor's `timeZone`
 * (so 18:00 stays 18:00 when daylight saving time begins or ends). First start first.
 */
export async function createSeries(
  services: SchedulingServices,
  actor: Actor,
  input: CreateSessionInput & { count: number; timeZone: string },
): Promise<{ items: SessionView[] }> {
  const starts = weeklyStarts(input.startsAt, input.count, input.timeZone);
  assertStartAllowed(services, starts[0]!);
  assertStartAllowed(services, starts.at(-1)!);
  await findManagedCourse(services, actor, input.courseId);
  const created = await services.db.liveSession.createManyAndReturn({
    data: starts.map((startsAt) => ({
      courseId: input.courseId,
      title: input.title,
      description: input.description,
      plannedDurationMinutes: input.plannedDurationMinutes,
      startsAt,
      status: "SCHEDULED" as const,
    })),
    select: { id: true, sequence: true, startsAt: true },
  });
  created.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  for (const session of created) await planReminder(services, session);
  return { items: await Promise.all(created.map((session) => getSession(services, session.id))) };
}
