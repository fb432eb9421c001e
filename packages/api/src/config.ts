import { z } from "zod";
import { CLIENT_BACKOFF_DEFAULTS } from "./client/backoff";

/**
 * Configuration, validated once at start-up. Every timing of the system is defined here and only
 * here (DESIGN.md "Timings"); tests shorten them through the same environment variables.
 */

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const timingsSchema = z.object({
  ACCESS_TOKEN_TTL_SECONDS: seconds(15 * 60),
  REFRESH_TOKEN_TTL_SECONDS: seconds(30 * 24 * 60 * 60),
  REFRESH_GRACE_SECONDS: seconds(10),
  /** How long expired or revoked refresh tokens are kept (for reuse detection) before deletion. */
  REFRESH_TOKEN_RETENTION_SECONDS: seconds(7 * 24 * 60 * 60),
  HEARTBEAT_INTERVAL_SECONDS: seconds(30),
  PRESENCE_TIMEOUT_SECONDS: seconds(90),
  TOKENS_EXPIRE_EVERY_SECONDS: seconds(10 * 60),
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: seconds(5 * 60),
  HEARTBEATS_EVICT_EVERY_SECONDS: seconds(15),
  CLIENT_BACKOFF_BASE_MS: milliseconds(CLIENT_BACKOFF_DEFAULTS.baseMs),
  CLIENT_BACKOFF_CAP_MS: milliseconds(CLIENT_BACKOFF_DEFAULTS.capMs),
  /** How long admin.runJob waits for a worker to finish a job before answering. */
  RUN_JOB_TIMEOUT_MS: milliseconds(15_000),
  /** How often an open live-sessions page reloads its counts (docs/decisions/008). */
  SESSIONS_REFRESH_SECONDS: seconds(10),
  /**
   * The longest a live-event stream stays open (each stream ends at ±10 % of it, so streams opened
   * together do not all reconnect together); the room re-subscribes and gets a fresh snapshot.
   */
  STREAM_MAX_SECONDS: seconds(60 * 60),
  /** Attendance (summed over a user's joins of a session) needed before they may rate it. */
  RATING_MIN_ATTENDANCE_SECONDS: z.coerce.number().min(0).default(60),
});

export type Timings = {
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  refreshGraceMs: number;
  refreshTokenRetentionMs: number;
  heartbeatIntervalMs: number;
  presenceTimeoutMs: number;
  schedulerEveryMs: { tokensExpire: number; participantsDedupe: number; heartbeatsEvict: number };
  clientBackoff: { baseMs: number; capMs: number };
  runJobTimeoutMs: number;
  sessionsRefreshMs: number;
  streamMaxDurationMs: number;
  ratingMinAttendanceMs: number;
};

const DEVELOPMENT_SECRET = "livehall-development-secret-change-me-in-production";

const coreSchema = timingsSchema.extend({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.url().default("postgresql://postgres:postgres@127.0.0.1:5432/livehall"),
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  /** Namespaces every Redis key and pub/sub channel, so test files (and deployments) never collide. */
  REDIS_KEY_PREFIX: z.string().default("lh:"),
  AUTH_SECRET: z.string().min(32).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Comma-separated origins allowed to send cookie-authenticated mutations (the CSRF rule). */
  APP_ORIGINS: z.string().optional(),
  /** Live-event streams one user may hold open on one instance (tabs, devices); more answer 429. */
  MAX_STREAMS_PER_USER: z.coerce.number().int().positive().default(20),
});

const webSchema = coreSchema.extend({
  HOST: z.string().default("0.0.0.0"),
  /** /metrics has its own listener, off the public port: loopback by default. */
  METRICS_HOST: z.string().default("127.0.0.1"),
  /** The web /metrics port; 0 picks a free one (logged at start). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9465),
});

const workerSchema = coreSchema.extend({
  /** The worker's /metrics, /healthz and /readyz port; 0 picks a free one. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
});

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function parse<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

function toTimings(env: z.output<typeof timingsSchema>): Timings {
  const s = (value: number) => Math.round(value * 1000);
  return {
    accessTokenTtlMs: s(env.ACCESS_TOKEN_TTL_SECONDS),
    refreshTokenTtlMs: s(env.REFRESH_TOKEN_TTL_SECONDS),
    refreshGraceMs: s(env.REFRESH_GRACE_SECONDS),
    refreshTokenRetentionMs: s(env.REFRESH_TOKEN_RETENTION_SECONDS),
    heartbeatIntervalMs: s(env.HEARTBEAT_INTERVAL_SECONDS),
    presenceTimeoutMs: s(env.PRESENCE_TIMEOUT_SECONDS),
    schedulerEveryMs: {
      tokensExpire: s(env.TOKENS_EXPIRE_EVERY_SECONDS),
      participantsDedupe: s(env.PARTICIPANTS_DEDUPE_EVERY_SECONDS),
      heartbeatsEvict: s(env.HEARTBEATS_EVICT_EVERY_SECONDS),
    },
    clientBackoff: { baseMs: env.CLIENT_BACKOFF_BASE_MS, capMs: env.CLIENT_BACKOFF_CAP_MS },
    runJobTimeoutMs: env.RUN_JOB_TIMEOUT_MS,
    sessionsRefreshMs: s(env.SESSIONS_REFRESH_SECONDS),
    streamMaxDurationMs: s(env.STREAM_MAX_SECONDS),
    ratingMinAttendanceMs: s(env.RATING_MIN_ATTENDANCE_SECONDS),
  };
}

export interface CoreConfig {
  env: "development" | "test" | "production";
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  authSecret: string;
  logLevel: z.output<typeof coreSchema>["LOG_LEVEL"];
  port: number;
  appOrigins: string[];
  maxStreamsPerUser: number;
  timings: Timings;
}

function toCore(env: z.output<typeof coreSchema>): CoreConfig {
  if (!env.AUTH_SECRET && env.NODE_ENV === "production") {
    throw new ConfigError("Invalid configuration: AUTH_SECRET must be set (32+ characters) in production");
  }
  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    authSecret: env.AUTH_SECRET ?? DEVELOPMENT_SECRET,
    logLevel: env.LOG_LEVEL,
    port: env.PORT,
    appOrigins: env.APP_ORIGINS
      ? env.APP_ORIGINS.split(",")
          .map((origin) => origin.trim().replace(/\/$/, ""))
          .filter(Boolean)
      : [`http://localhost:${env.PORT}`, `http://127.0.0.1:${env.PORT}`],
    maxStreamsPerUser: env.MAX_STREAMS_PER_USER,
    timings: toTimings(env),
  };
}

export function loadCoreConfig(env: Env = process.env): CoreConfig {
  return toCore(parse(coreSchema, env));
}

export interface WebConfig extends CoreConfig {
  host: string;
  metrics: { host: string; port: number };
}

export function loadWebConfig(env: Env = process.env): WebConfig {
  const parsed = parse(webSchema, env);
  return { ...toCore(parsed), host: parsed.HOST, metrics: { host: parsed.METRICS_HOST, port: parsed.METRICS_PORT } };
}

export interface WorkerConfig extends CoreConfig {
  metricsPort: number;
  concurrency: number;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const parsed = parse(workerSchema, env);
  return { ...toCore(parsed), metricsPort: parsed.WORKER_METRICS_PORT, concurrency: parsed.WORKER_CONCURRENCY };
}
