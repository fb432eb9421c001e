import { z } from "zod";
import { TELEMETRY_EVENT_TYPES, recordTelemetry } from "../services/telemetry";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const telemetryRouter = createTRPCRouter({
  /** Rooms report connection figures; rate-limited per user (or IP when signed out). */
  report: publicProcedure
    .input(
      z.strictObject({
        events: z
          .array(
            z.strictObject({
              type: z.enum(TELEMETRY_EVENT_TYPES),
              durationMs: z.number().min(0).max(600_000).optional(),
            }),
          )
          .min(1)
          .max(20),
      }),
    )
    .mutation(({ ctx, input }) => recordTelemetry(ctx, ctx.user?.id ?? `ip:${ctx.req.ip}`, input.events)),
});
