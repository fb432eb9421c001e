import { Counter, Histogram } from "prom-client";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Services } from "../context";
import { Reason, appError } from "../errors";
import { metricsRegistry } from "../metrics";

/**
 * Connection figures reported by rooms, so the success metrics "session connection success rate"
 * and "token refresh failure rate" are visible on /metrics.
 */
export const TELEMETRY_EVENT_TYPES = [
  "connection_succeeded",
  "connection_failed",
  "reconnect",
  "refresh_succeeded",
  "refresh_failed",
  "signed_out",
] as const;
export type TelemetryEventType = (typeof TELEMETRY_EVENT_TYPES)[number];

/** Reports per client (user or IP) per minute; a report carries up to 20 events. */
export const TELEMETRY_REPORTS_PER_MINUTE = 30;

const clientEvents = new Counter({
  name: "livehall_client_events_total",
  help: "Connection events reported by browsers, by type",
  labelNames: ["type"] as const,
  registers: [metricsRegistry],
});

const clientJoinSeconds = new Histogram({
  name: "livehall_client_join_seconds",
  help: "Time from opening a room to being listed, measured by the browser",
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  registers: [metricsRegistry],
});

const limiters = new WeakMap<Services["redis"], RateLimiterRedis>();

export async function recordTelemetry(
  services: Pick<Services, "redis" | "keys">,
  client: string,
  events: { type: TelemetryEventType; durationMs?: number | undefined }[],
): Promise<{ accepted: number }> {
  let limiter = limiters.get(services.redis);
  if (!limiter) {
    limiter = new RateLimiterRedis({
      storeClient: services.redis,
      keyPrefix: services.keys.rateLimit("telemetry", "client"),
      points: TELEMETRY_REPORTS_PER_MINUTE,
      duration: 60,
      useRedisPackage: false,
    });
    limiters.set(services.redis, limiter);
  }
  try {
    await limiter.consume(client);
  } catch (error) {
    if (error instanceof RateLimiterRes) {
      throw appError("TOO_MANY_REQUESTS", Reason.RATE_LIMITED, "Too many telemetry reports.", {
        retryAfterMs: error.msBeforeNext,
      });
    }
    throw error;
  }
  for (const event of events) {
    clientEvents.inc({ type: event.type });
    if (event.type === "connection_succeeded" && event.durationMs !== undefined)
      clientJoinSeconds.observe(event.durationMs / 1000);
  }
  return { accepted: events.length };
}
