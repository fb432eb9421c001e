import { z } from "zod";
import { attendanceCsv, sessionAttendance, sessionRatings } from "../services/session-reports";
import { createTRPCRouter, instructorProcedure } from "../trpc";

const reportInput = z.strictObject({
  sessionId: z.uuid(),
  limit: z.number().int().min(1).max(1_000).default(500),
});

/** What an instructor looks at after (or during) a session: attendance and ratings. Merged into `session`. */
export const sessionReportsRouter = createTRPCRouter({
  /** Who attended and for how long, from the participant history (the course's instructor or an admin). */
  attendance: instructorProcedure
    .input(reportInput)
    .query(({ ctx, input }) => sessionAttendance(ctx, ctx.user, input.sessionId, input.limit)),

  /** The attendance report as a CSV file's text, every attendee (the course's instructor or an admin). */
  attendanceCsv: instructorProcedure
    .input(z.strictObject({ sessionId: z.uuid() }))
    .query(({ ctx, input }) => attendanceCsv(ctx, ctx.user, input.sessionId)),

  /** The ratings with their comments, average and distribution (the course's instructor or an admin). */
  ratings: instructorProcedure
    .input(reportInput)
    .query(({ ctx, input }) => sessionRatings(ctx, ctx.user, input.sessionId, input.limit)),
});
