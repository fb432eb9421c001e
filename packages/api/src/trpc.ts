import { initTRPC, type TRPCProcedureType as ProcedureType } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import type { Context } from "./context";
import { Reason, appError, atOf, attemptsLeftOf, isInfrastructureOutage, reasonOf, retryAfterOf } from "./errors";

/** How inputs and outputs travel (Dates, Maps…): one definition for the router and any transport. */
export const transformer = superjson;

/**
 * A comment line on every open event stream this often: proxies and load balancers close
 * connections idle for 60 s or more, and a dead client is noticed when the write fails.
 */
export const SSE_PING_INTERVAL_MS = 15_000;

const t = initTRPC.context<Context>().create({
  transformer,
  sse: { ping: { enabled: true, intervalMs: SSE_PING_INTERVAL_MS } },
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
        attempts: attemptsLeftOf(error) ?? null,
        at: atOf(error) ?? null,
        zodError,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;

const SERVICE_UNAVAILABLE_MESSAGE = "Temporarily unavailable, retry shortly.";

/** The answer for a request without a usable user, keeping the reason the credentials failed. */
function unauthenticated(authError: Reason | null) {
  switch (authError) {
    case Reason.SERVICE_UNAVAILABLE:
      return appError("SERVICE_UNAVAILABLE", Reason.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE_MESSAGE, {
        retryAfterMs: 2_000,
      });
    case Reason.ACCESS_TOKEN_EXPIRED:
      return appError("UNAUTHORIZED", Reason.ACCESS_TOKEN_EXPIRED, "Access token expired; refresh it.");
    case Reason.SESSION_REVOKED:
    case Reason.REFRESH_TOKEN_REUSED:
    case Reason.REFRESH_TOKEN_EXPIRED:
    case Reason.REFRESH_TOKEN_INVALID:
      return appError("UNAUTHORIZED", authError, "You have been signed out. Sign in again.");
    default:
      return appError("UNAUTHORIZED", Reason.UNAUTHENTICATED, "Sign in to continue.");
  }
}

/**
 * The outage rule: a procedure that failed because Postgres or Redis is unreachable answers
 * SERVICE_UNAVAILABLE with a retry hint instead of a 500.
 */
function answerOutages<TResult extends { ok: boolean; error?: { cause?: unknown } }>(result: TResult): TResult {
  if (!result.ok && isInfrastructureOutage(result.error?.cause)) {
    throw appError("SERVICE_UNAVAILABLE", Reason.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE_MESSAGE, {
      retryAfterMs: 2_000,
    });
  }
  return result;
}

/**
 * The CSRF rule (docs/architecture.md#csrf): a mutation from a browser must come from one of APP_ORIGINS. A
 * foreign Origin is always refused (that covers login CSRF too); a missing Origin is refused when the
 * request is authenticated by cookie. Bearer requests carry no ambient authority and are exempt.
 */
function checkOrigin(ctx: Context, type: ProcedureType): void {
  if (type === "mutation" && ctx.req.authTransport !== "bearer") {
    const { origin } = ctx.req;
    const foreign = origin !== null && !ctx.config.appOrigins.includes(origin);
    const missing = origin === null && ctx.req.authTransport === "cookie";
    if (foreign || missing) {
      throw appError("FORBIDDEN", Reason.CSRF_ORIGIN_REJECTED, "This request must come from the Livehall site.");
    }
  }
}

/**
 * The rules every procedure runs under, applied in one middleware per procedure kind (tRPC copies its
 * call options at every middleware level, on every call): the CSRF rule before the procedure, the
 * outage rule on its result. A rule that throws before `next()` is a failed result like any other.
 */
export const publicProcedure = t.procedure.use(async ({ ctx, type, next }) => {
  checkOrigin(ctx, type);
  return answerOutages(await next());
});

/** `publicProcedure`'s rules, and a user: without one, the reason the credentials failed. */
export const authedProcedure = t.procedure.use(async ({ ctx, type, next }) => {
  checkOrigin(ctx, type);
  if (!ctx.user) throw unauthenticated(ctx.authError);
  // tRPC merges this into the context (narrowing `user`); spreading the whole context here again
  // would copy it twice on every authenticated call.
  return answerOutages(await next({ ctx: { user: ctx.user } }));
});

export const instructorProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role === "STUDENT") throw appError("FORBIDDEN", Reason.FORBIDDEN, "Instructors only.");
  return next();
});

export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== "ADMIN") throw appError("FORBIDDEN", Reason.FORBIDDEN, "Admins only.");
  return next();
});
