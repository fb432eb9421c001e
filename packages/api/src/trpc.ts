import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import type { Context } from "./context";
import { Reason, appError, isInfrastructureOutage, reasonOf, retryAfterOf } from "./errors";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      // Never leak internals: a 500's message and stack stay in the logs.
      message: internal ? "Something went wrong on our side." : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        reason: reasonOf(error),
        retryAfterMs: retryAfterOf(error) ?? null,
        zodError,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Maps Postgres/Redis outages to SERVICE_UNAVAILABLE with a retry hint instead of a 500. */
const outageGuard = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isInfrastructureOutage(result.error.cause)) {
    throw appError("SERVICE_UNAVAILABLE", Reason.SERVICE_UNAVAILABLE, "Temporarily unavailable, retry shortly.", {
      retryAfterMs: 2_000,
    });
  }
  return result;
});

export const publicProcedure = t.procedure.use(outageGuard);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw appError("UNAUTHORIZED", Reason.UNAUTHENTICATED, "Sign in to continue.");
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const instructorProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role === "STUDENT") throw appError("FORBIDDEN", Reason.FORBIDDEN, "Instructors only.");
  return next();
});

export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== "ADMIN") throw appError("FORBIDDEN", Reason.FORBIDDEN, "Admins only.");
  return next();
});
