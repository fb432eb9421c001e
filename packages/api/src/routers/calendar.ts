import { z } from "zod";
import { calendarFeed, sessionCalendar } from "../services/calendar";
import { createTRPCRouter, publicProcedure } from "../trpc";

/** A feed token as calendarFeedLink makes them: anything else is NOT_FOUND, not a 500. */
const feedToken = z.string().max(128);

/** Calendar files (docs/decisions/022); the web app serves them at /sessions/<id>/calendar.ics and /calendar/<token>.ics. */
export const calendarRouter = createTRPCRouter({
  /** One session as an .ics file: for anyone who may see its page (public, as session.byId). */
  session: publicProcedure
    .input(z.strictObject({ sessionId: z.uuid() }))
    .query(({ ctx, input }) => sessionCalendar(ctx, input.sessionId)),

  /** A personal feed, opened by its secret token (no sign-in: calendar apps fetch it). */
  feed: publicProcedure
    .input(z.strictObject({ token: feedToken }))
    .query(({ ctx, input }) => calendarFeed(ctx, input.token)),
});
