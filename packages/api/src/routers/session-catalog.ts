import { z } from "zod";
import {
  SESSION_TABS,
  createSession,
  getSession,
  listSessions,
  myRating,
  ratingEligibility,
  rateSession,
  sessionStats,
  startSession,
} from "../services/session-catalog";
import { authedProcedure, createTRPCRouter, instructorProcedure, publicProcedure } from "../trpc";
import { plainText } from "./inputs";

const sessionId = z.strictObject({ sessionId: z.uuid() });

/** The catalog half of `session` (scheduling, starting, listing, rating); merged with presence. */
export const sessionCatalogRouter = createTRPCRouter({
  /** The course's instructor or an admin; the session starts SCHEDULED. */
  create: instructorProcedure
    .input(
      z.strictObject({
        courseId: z.uuid(),
        title: plainText(200, "A title").min(1, { error: "Enter a title." }),
        description: plainText(5_000, "A description").default(""),
        startsAt: z.coerce.date({ error: "Enter a valid start time." }),
        plannedDurationMinutes: z.number().int().min(5).max(600),
      }),
    )
    .mutation(({ ctx, input }) => createSession(ctx, ctx.user, input)),

  /** SCHEDULED → LIVE; repeating it (or racing it) answers the live session. */
  start: instructorProcedure
    .input(sessionId)
    .mutation(({ ctx, input }) => startSession(ctx, ctx.user, input.sessionId)),

  byId: publicProcedure.input(sessionId).query(({ ctx, input }) => getSession(ctx, input.sessionId)),

  list: publicProcedure
    .input(
      z
        .strictObject({
          tab: z.enum(SESSION_TABS).default("all"),
          search: plainText(100, "A search").optional(),
          courseId: z.uuid().optional(),
          cursor: z.string().max(512).optional(),
          limit: z.number().int().min(1).max(50).default(12),
        })
        .default({ tab: "all", limit: 12 }),
    )
    .query(({ ctx, input }) => listSessions(ctx, input)),

  stats: publicProcedure.input(z.strictObject({}).optional()).query(({ ctx }) => sessionStats(ctx)),

  /** Those `ratingEligibility` allows (attendees, not the instructor); rating again replaces the rating. */
  rate: authedProcedure
    .input(
      z.strictObject({
        sessionId: z.uuid(),
        stars: z.number().int().min(1).max(5),
        comment: plainText(2_000, "A comment").nullish(),
      }),
    )
    .mutation(({ ctx, input }) => rateSession(ctx, ctx.user.id, input)),

  myRating: authedProcedure.input(sessionId).query(({ ctx, input }) => myRating(ctx, ctx.user.id, input.sessionId)),

  /** Whether the caller may rate the session now (the rule session.rate applies), and why not. */
  ratingEligibility: authedProcedure
    .input(sessionId)
    .query(({ ctx, input }) => ratingEligibility(ctx, ctx.user.id, input.sessionId)),
});
