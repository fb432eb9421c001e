import { z } from "zod";
import { JOB_NAMES } from "../jobs/definitions";
import { adminOverview } from "../services/admin";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const adminRouter = createTRPCRouter({
  overview: adminProcedure.input(z.strictObject({}).optional()).query(({ ctx }) => adminOverview(ctx)),

  /** Runs a maintenance job now through the worker; answers within RUN_JOB_TIMEOUT_MS. */
  runJob: adminProcedure
    .input(z.strictObject({ name: z.enum(JOB_NAMES) }))
    .mutation(async ({ ctx, input }) => ({ name: input.name, counts: await ctx.jobs.run(input.name) })),
});
