import { z } from "zod";
import {
  DESCRIPTION_MAX_LENGTH,
  RATING_COMMENT_MAX_LENGTH,
  SEARCH_MAX_LENGTH,
  SESSION_TITLE_MAX_LENGTH,
} from "../limits";
import {
  SESSION_TABS,
  createSession,
  getSession,
  listSessions,
  myRating,
  mySchedule,
  ratingEligibility,
  rateSession,
  sessionStats,
  startSession,
} from "../services/session-catalog";
import { SERIES_MAX, SERIES_MIN, createSeries, duplicateSession, updateSession } from "../services/session-scheduling";
import { isTimeZone } from "../services/time-zone";
import { authedProcedure, createTRPCRouter, instructorProcedure, publicProcedure } from "../trpc";
import { plainText } from "./inputs";

const sessionId = z.strictObject({ sessionId: z.uuid() });

/** What a session is: one definition for scheduling, series and edits. */
const sessionFields = {
  title: plainText(SESSION_TITLE_MAX_LENGTH, "Title").min(1, { error: "Enter a title." }),
  description: plainText(DESCRIPTION_MAX_LENGTH, "Description"),
  startsAt: z.coerce.date({ error: "Enter a valid start time." }),
  plannedDurationMinutes: z.number().int().min(5).max(600),
};

/** An IANA time zone name as the browser reports it (Intl.DateTimeFormat().resolvedOptions().timeZone). */
const timeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, { error: "This time zone is not known. Reload the page and try again." });

/** The catalog half of `session` (scheduling, starting, listing, rating); merged with presence. */
export const sessionCatalogRouter = createTRPCRouter({
  /** The course's instructor or an admin; the session starts SCHEDULED. */
  create: instructorProcedure
    .input(
      z.strictObject({
        courseId: z.uuid(),
        ...sessionFields,
        description: sessionFields.description.default(""),
      }),
    )
    .mutation(({ ctx, input }) => createSession(ctx, ctx.user, input)),

  /** `count` weekly sessions at the same local time in `timeZone` (across daylight saving changes). */
  createSeries: instructorProcedure
    .input(
      z.strictObject({
        courseId: z.uuid(),
        ...sessionFields,
        description: sessionFields.description.default(""),
        count: z.number().int().min(SERIES_MIN).max(SERIES_MAX),
        timeZone,
      }),
    )
    .mutation(({ ctx, input }) => createSeries(ctx, ctx.user, input)),

  /** Title, description, start and length of a session that has not started (SESSION_NOT_EDITABLE otherwise). */
  update: instructorProcedure
    .input(
      z.strictObject({
        sessionId: z.uuid(),
        title: sessionFields.title.optional(),
        description: sessionFields.description.optional(),
        startsAt: sessionFields.startsAt.optional(),
        plannedDurationMinutes: sessionFields.plannedDurationMinutes.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateSession(ctx, ctx.user, input)),

  /** A new scheduled copy; by default a week later at the same local time in `timeZone`. */
  duplicate: instructorProcedure
    .input(z.strictObject({ sessionId: z.uuid(), startsAt: sessionFields.startsAt.optional(), timeZone }))
    .mutation(({ ctx, input }) => duplicateSession(ctx, ctx.user, input)),

  /**
   * SCHEDULED → LIVE; repeating it (or racing it) answers the live session. Well before the planned
   * time it needs `early: true` (STARTS_LATER otherwise, so the page can ask).
   */
  start: instructorProcedure
    .input(z.strictObject({ sessionId: z.uuid(), early: z.boolean().optional() }))
    .mutation(({ ctx, input }) => startSession(ctx, ctx.user, input.sessionId, { early: input.early })),

  byId: publicProcedure.input(sessionId).query(({ ctx, input }) => getSession(ctx, input.sessionId)),

  list: publicProcedure
    .input(
      z
        .strictObject({
          tab: z.enum(SESSION_TABS).default("all"),
          search: plainText(SEARCH_MAX_LENGTH, "Search").optional(),
          courseId: z.uuid().optional(),
          cursor: z.string().max(512).optional(),
          limit: z.number().int().min(1).max(50).default(12),
          /** Only the caller's own courses (enrolled in or teaching); signed-in callers only. */
          mine: z.boolean().optional(),
        })
        .default({ tab: "all", limit: 12 }),
    )
    .query(({ ctx, input }) =>
      listSessions(ctx, { ...input, viewer: ctx.user, mine: Boolean(ctx.user && input.mine) }),
    ),

  stats: publicProcedure.input(z.strictObject({}).optional()).query(({ ctx }) => sessionStats(ctx, ctx.user)),

  /** The caller's live and upcoming sessions across their courses (/schedule). */
  schedule: authedProcedure.query(({ ctx }) => mySchedule(ctx, ctx.user)),

  /** Those `ratingEligibility` allows (attendees, not the instructor); rating again replaces the rating. */
  rate: authedProcedure
    .input(
      z.strictObject({
        sessionId: z.uuid(),
        stars: z.number().int().min(1).max(5),
        comment: plainText(RATING_COMMENT_MAX_LENGTH, "Your comment").nullish(),
      }),
    )
    .mutation(({ ctx, input }) => rateSession(ctx, ctx.user.id, input)),

  myRating: authedProcedure.input(sessionId).query(({ ctx, input }) => myRating(ctx, ctx.user.id, input.sessionId)),

  /** Whether the caller may rate the session now (the rule session.rate applies), and why not. */
  ratingEligibility: authedProcedure
    .input(sessionId)
    .query(({ ctx, input }) => ratingEligibility(ctx, ctx.user.id, input.sessionId)),
});
