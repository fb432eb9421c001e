import { z } from "zod";
import { listCourses } from "../services/course";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const courseRouter = createTRPCRouter({
  list: publicProcedure
    .input(
      z
        .object({
          cursor: z.uuid().optional(),
          limit: z.number().int().min(1).max(100).default(24),
        })
        .default({ limit: 24 }),
    )
    .query(({ ctx, input }) => listCourses(ctx.db, input)),
});
