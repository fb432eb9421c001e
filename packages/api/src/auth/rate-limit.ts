import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Services } from "../context";
import { Reason, appError } from "../errors";

/** Failed logins allowed per email and per IP within the window before login is refused. */
export const LOGIN_FAILURES_PER_EMAIL = 10;
export const LOGIN_FAILURES_PER_IP = 50;
export const LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60;

export interface LoginLimiter {
  /** Throws TOO_MANY_REQUESTS when the email or IP is already over its limit. */
  assertAllowed(email: string, ip: string): Promise<void>;
  recordFailure(email: string, ip: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

const limiters = new WeakMap<Services["redis"], { byEmail: RateLimiterRedis; byIp: RateLimiterRedis }>();

function limitersFor(services: Pick<Services, "redis" | "keys">) {
  let existing = limiters.get(services.redis);
  if (!existing) {
    const common = { storeClient: services.redis, duration: LOGIN_FAILURE_WINDOW_SECONDS, useRedisPackage: false };
    existing = {
      byEmail: new RateLimiterRedis({
        ...common,
        keyPrefix: services.keys.rateLimit("login", "email"),
        points: LOGIN_FAILURES_PER_EMAIL,
      }),
      byIp: new RateLimiterRedis({
        ...common,
        keyPrefix: services.keys.rateLimit("login", "ip"),
        points: LOGIN_FAILURES_PER_IP,
      }),
    };
    limiters.set(services.redis, existing);
  }
  return existing;
}

function tooMany(retryAfterMs: number) {
  return appError("TOO_MANY_REQUESTS", Reason.RATE_LIMITED, "Too many failed sign-ins. Try again later.", {
    retryAfterMs,
  });
}

export function loginLimiter(services: Pick<Services, "redis" | "keys">): LoginLimiter {
  const { byEmail, byIp } = limitersFor(services);
  return {
    async assertAllowed(email, ip) {
      const [emailState, ipState] = await Promise.all([byEmail.get(email), byIp.get(ip)]);
      for (const [state, limit] of [
        [emailState, LOGIN_FAILURES_PER_EMAIL],
        [ipState, LOGIN_FAILURES_PER_IP],
      ] as const) {
        if (state && state.consumedPoints >= limit) throw tooMany(state.msBeforeNext);
      }
    },
    async recordFailure(email, ip) {
      const results = await Promise.allSettled([byEmail.consume(email), byIp.consume(ip)]);
      for (const result of results) {
        if (result.status === "rejected" && !(result.reason instanceof RateLimiterRes)) throw result.reason;
      }
    },
    async recordSuccess(email) {
      await byEmail.delete(email);
    },
  };
}
