import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, defaultHost } from "@livehall/db/defaults";
import { MEDIA_DEFAULTS, parseMediaServers } from "@livehall/media-server";

/** Entry points call it before loading their configuration. */
export { loadEnvFile } from "@livehall/db/defaults";
import { z } from "zod";
import { CLIENT_BACKOFF_DEFAULTS } from "./client/backoff";
import { DEFAULT_MAX_BATCH } from "./client/batching";

/**
 * Configuration, validated once at start-up. Every timing of the system is defined here and only
 * here (docs/architecture.md#timings); tests shorten them through the same environment variables.
 */

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** Days may be fractional, so tests can shorten them like every other timing. */
const days = (fallback: number) => z.coerce.number().positive().default(fallback);
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const timingsSchema = z.object({
  ACCESS_TOKEN_TTL_SECONDS: seconds(15 * 60),
  REFRESH_TOKEN_TTL_SECONDS: seconds(30 * 24 * 60 * 60),
  REFRESH_GRACE_SECONDS: seconds(10),
  /** A sign-in ends this long after the password was entered, however often it is refreshed. */
  SIGN_IN_MAX_AGE_DAYS: days(30),
  /** A sign-in not refreshed for this long ends (a device left unused). */
  SIGN_IN_IDLE_DAYS: days(14),
  /** How long expired or revoked refresh tokens are kept (for reuse detection) before deletion. */
  REFRESH_TOKEN_RETENTION_SECONDS: seconds(7 * 24 * 60 * 60),
  HEARTBEAT_INTERVAL_SECONDS: seconds(30),
  PRESENCE_TIMEOUT_SECONDS: seconds(90),
  TOKENS_EXPIRE_EVERY_SECONDS: seconds(10 * 60),
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: seconds(5 * 60),
  HEARTBEATS_EVICT_EVERY_SECONDS: seconds(15),
  SESSIONS_END_OVERRUN_EVERY_SECONDS: seconds(60),
  /** How often media.reconcile makes the media servers match the sessions (rooms, tokens, handles). */
  MEDIA_RECONCILE_EVERY_SECONDS: seconds(10),
  /**
   * A live session is ended by the sessions.endOverrun job this long after its planned end, if its
   * instructor is not in the room (a forgotten End button). Fractions allowed, so tests can use seconds.
   */
  SESSION_OVERRUN_GRACE_MINUTES: z.coerce.number().min(0).default(30),
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
  /** How long before a session's start its reminder mail goes out (docs/decisions/022). Fractions allowed. */
  SESSION_REMINDER_LEAD_MINUTES: z.coerce.number().positive().default(15),
  /** How often sessionMail.sync plans again the reminders and notices the queue may have lost. */
  SESSION_MAIL_SYNC_EVERY_SECONDS: seconds(5 * 60),
});

export type Timings = {
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  refreshGraceMs: number;
  signInMaxAgeMs: number;
  signInIdleMs: number;
  refreshTokenRetentionMs: number;
  heartbeatIntervalMs: number;
  presenceTimeoutMs: number;
  schedulerEveryMs: {
    tokensExpire: number;
    participantsDedupe: number;
    heartbeatsEvict: number;
    sessionsEndOverrun: number;
    mediaReconcile: number;
    sessionMailSync: number;
  };
  sessionOverrunGraceMs: number;
  clientBackoff: { baseMs: number; capMs: number };
  runJobTimeoutMs: number;
  sessionsRefreshMs: number;
  streamMaxDurationMs: number;
  ratingMinAttendanceMs: number;
  sessionReminderLeadMs: number;
};

const perSecond = (fallback: number) => z.coerce.number().positive().default(fallback);

/**
 * Per-user budgets of the room's procedures, each a token bucket (`_BURST` calls at once, then
 * `_PER_SECOND`), so no client can stall the server with presence calls. The join burst covers the
 * largest honest storm of one user (200 concurrent retries over five tabs, as the idempotency tests
 * send); heartbeats are budgeted per connection (a tab beats every 30 s).
 */
const roomLimitsSchema = z.object({
  ROOM_RATE_JOIN_BURST: count(200),
  ROOM_RATE_JOIN_PER_SECOND: perSecond(2),
  ROOM_RATE_HEARTBEAT_BURST: count(10),
  ROOM_RATE_HEARTBEAT_PER_SECOND: perSecond(1),
  ROOM_RATE_LEAVE_BURST: count(60),
  ROOM_RATE_LEAVE_PER_SECOND: perSecond(2),
  ROOM_RATE_PARTICIPANTS_BURST: count(20),
  ROOM_RATE_PARTICIPANTS_PER_SECOND: perSecond(1),
  ROOM_RATE_PARTICIPANT_COUNT_BURST: count(60),
  ROOM_RATE_PARTICIPANT_COUNT_PER_SECOND: perSecond(2),
  /** Opening the room stream (each opening reads the whole room): reconnects fit well inside. */
  ROOM_RATE_STREAM_BURST: count(60),
  ROOM_RATE_STREAM_PER_SECOND: perSecond(1),
  /** Media rights (each registers a token with Janus): a tab asks on joining and after each media reconnect. */
  ROOM_RATE_MEDIA_BURST: count(30),
  ROOM_RATE_MEDIA_PER_SECOND: perSecond(0.5),
  /**
   * Requests through the /media proxy to Janus, per client IP (a classroom behind one address shares
   * it): each tab long-polls and trickles candidates, a few requests a second at most.
   */
  ROOM_RATE_MEDIA_PROXY_BURST: count(300),
  ROOM_RATE_MEDIA_PROXY_PER_SECOND: perSecond(30),
  /** Chat messages and questions per user (docs/decisions/018): 5 at once, then one per 2 s (5 per 10 s). */
  ROOM_RATE_CHAT_BURST: count(5),
  ROOM_RATE_CHAT_PER_SECOND: perSecond(0.5),
  /** Reactions per user (aggregated per second and session before anyone receives them). */
  ROOM_RATE_REACTION_BURST: count(10),
  ROOM_RATE_REACTION_PER_SECOND: perSecond(2),
  /** Other room actions per user: hands, upvotes, moderation, older chat pages. */
  ROOM_RATE_ACTION_BURST: count(30),
  ROOM_RATE_ACTION_PER_SECOND: perSecond(2),
  /** Attendance CSV downloads per user (each reads every attendee, up to 50,000 rows): 5, then one per 10 s. */
  ROOM_RATE_EXPORT_BURST: count(5),
  ROOM_RATE_EXPORT_PER_SECOND: perSecond(0.1),
  /** Account settings changes per user (reminder preference, calendar-feed link): 10, then one per 5 s. */
  ACCOUNT_RATE_SETTINGS_BURST: count(10),
  ACCOUNT_RATE_SETTINGS_PER_SECOND: perSecond(0.2),
  /** Open connections (tabs) one user may have in one session; a join beyond it closes the oldest. */
  MAX_TABS_PER_SESSION: count(10),
});

export interface RoomRate {
  /** Calls allowed at once (the bucket's size). */
  burst: number;
  /** Calls the bucket refills per second. */
  perSecond: number;
}
export type RoomProcedure =
  | "join"
  | "heartbeat"
  | "leave"
  | "participants"
  | "participantCount"
  | "stream"
  | "media"
  | "mediaProxy"
  | "chat"
  | "reaction"
  | "action"
  | "export"
  | "accountSettings";

function toRoomRates(env: z.output<typeof roomLimitsSchema>): Record<RoomProcedure, RoomRate> {
  return {
    join: { burst: env.ROOM_RATE_JOIN_BURST, perSecond: env.ROOM_RATE_JOIN_PER_SECOND },
    heartbeat: { burst: env.ROOM_RATE_HEARTBEAT_BURST, perSecond: env.ROOM_RATE_HEARTBEAT_PER_SECOND },
    leave: { burst: env.ROOM_RATE_LEAVE_BURST, perSecond: env.ROOM_RATE_LEAVE_PER_SECOND },
    participants: { burst: env.ROOM_RATE_PARTICIPANTS_BURST, perSecond: env.ROOM_RATE_PARTICIPANTS_PER_SECOND },
    participantCount: {
      burst: env.ROOM_RATE_PARTICIPANT_COUNT_BURST,
      perSecond: env.ROOM_RATE_PARTICIPANT_COUNT_PER_SECOND,
    },
    stream: { burst: env.ROOM_RATE_STREAM_BURST, perSecond: env.ROOM_RATE_STREAM_PER_SECOND },
    media: { burst: env.ROOM_RATE_MEDIA_BURST, perSecond: env.ROOM_RATE_MEDIA_PER_SECOND },
    mediaProxy: { burst: env.ROOM_RATE_MEDIA_PROXY_BURST, perSecond: env.ROOM_RATE_MEDIA_PROXY_PER_SECOND },
    chat: { burst: env.ROOM_RATE_CHAT_BURST, perSecond: env.ROOM_RATE_CHAT_PER_SECOND },
    reaction: { burst: env.ROOM_RATE_REACTION_BURST, perSecond: env.ROOM_RATE_REACTION_PER_SECOND },
    action: { burst: env.ROOM_RATE_ACTION_BURST, perSecond: env.ROOM_RATE_ACTION_PER_SECOND },
    export: { burst: env.ROOM_RATE_EXPORT_BURST, perSecond: env.ROOM_RATE_EXPORT_PER_SECOND },
    accountSettings: { burst: env.ACCOUNT_RATE_SETTINGS_BURST, perSecond: env.ACCOUNT_RATE_SETTINGS_PER_SECOND },
  };
}

/** Sign-in and sign-up limits (docs/decisions/013): what each costs an attacker, and what a classroom needs. */
const limitsSchema = z.object({
  /** Wrong passwords for one account from one IP before sign-in pauses there (the hard lock). */
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: count(10),
  /** Wrong passwords from one IP, whatever the account, before that IP is paused. */
  LOGIN_FAILURES_PER_IP: count(50),
  /** How long the two limits above count failures, and so how long a pause lasts. */
  LOGIN_LOCK_SECONDS: seconds(15 * 60),
  /** Wrong passwords for one account from anywhere: the ceiling of a spread-out attack. */
  LOGIN_FAILURES_PER_ACCOUNT: count(100),
  LOGIN_ACCOUNT_WINDOW_SECONDS: seconds(60 * 60),
  /** After this many failures for an account, each attempt waits longer (1 s, 2 s, 4 s… up to the cap). */
  LOGIN_DELAY_AFTER_FAILURES: count(5),
  LOGIN_DELAY_MAX_SECONDS: seconds(60),
  /** Sign-ups per IP (argon2 runs for each); a classroom behind one address signs up together. */
  SIGNUP_RATE_POINTS: count(30),
  SIGNUP_RATE_DURATION_SECONDS: seconds(10 * 60),
  /** Calls one batched tRPC HTTP request may carry: a batch is one request to every per-request limit. */
  TRPC_MAX_BATCH: count(DEFAULT_MAX_BATCH),
});

export type Limits = {
  login: {
    perAccountAndIp: number;
    perIp: number;
    lockMs: number;
    perAccount: number;
    accountWindowMs: number;
    delayAfter: number;
    delayMaxMs: number;
  };
  signup: { perIp: number; windowMs: number };
  trpcMaxBatch: number;
};

function toLimits(env: z.output<typeof limitsSchema>): Limits {
  const s = (value: number) => Math.round(value * 1000);
  return {
    login: {
      perAccountAndIp: env.LOGIN_FAILURES_PER_ACCOUNT_AND_IP,
      perIp: env.LOGIN_FAILURES_PER_IP,
      lockMs: s(env.LOGIN_LOCK_SECONDS),
      perAccount: env.LOGIN_FAILURES_PER_ACCOUNT,
      accountWindowMs: s(env.LOGIN_ACCOUNT_WINDOW_SECONDS),
      delayAfter: env.LOGIN_DELAY_AFTER_FAILURES,
      delayMaxMs: s(env.LOGIN_DELAY_MAX_SECONDS),
    },
    signup: { perIp: env.SIGNUP_RATE_POINTS, windowMs: s(env.SIGNUP_RATE_DURATION_SECONDS) },
    trpcMaxBatch: env.TRPC_MAX_BATCH,
  };
}

const DEVELOPMENT_SECRET = "livehall-development-secret-change-me-in-production";
const DEVELOPMENT_MAIL_FROM = "Livehall <no-reply@livehall.localhost>";

/** Media servers (docs/decisions/017): Janus instances Livehall places rooms on and controls. */
const mediaSchema = z.object({
  /** Comma-separated servers, each "id apiUrl adminUrl" (the Janus HTTP API and its admin API); empty: no media. */
  MEDIA_SERVERS: z.string().default(MEDIA_DEFAULTS.MEDIA_SERVERS),
  /** Janus's admin_secret and VideoRoom admin_key: development values by default, refused in production. */
  MEDIA_ADMIN_SECRET: z.string().min(16).default(MEDIA_DEFAULTS.MEDIA_ADMIN_SECRET),
  MEDIA_ROOM_ADMIN_KEY: z.string().min(16).default(MEDIA_DEFAULTS.MEDIA_ROOM_ADMIN_KEY),
  /** Where browsers reach the Janus API instead of this server's /media/<serverId>/janus ("{server}" = the id). */
  MEDIA_PUBLIC_URL: z.string().default(""),
  /** Comma-separated ICE server URLs handed to browsers (stun:…, turn:…). */
  MEDIA_ICE_SERVERS: z.string().default(""),
  /** coturn's static-auth-secret: TURN credentials handed to browsers are time-limited HMACs of it. */
  MEDIA_TURN_SECRET: z.string().default(""),
});

export interface MediaServerConfig {
  id: string;
  /** The Janus HTTP API (…/janus). */
  apiUrl: string;
  /** The Janus admin API (…/admin): loopback or a private network only. */
  adminUrl: string;
}

export interface MediaConfig {
  servers: MediaServerConfig[];
  adminSecret: string;
  roomAdminKey: string;
  publicUrl: string | null;
  iceServers: string[];
  turnSecret: string | null;
}

function mediaServers(value: string): MediaServerConfig[] {
  try {
    return parseMediaServers(value);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${(error as Error).message}`);
  }
}

function toMedia(env: z.output<typeof mediaSchema>, production: boolean): MediaConfig {
  const servers = mediaServers(env.MEDIA_SERVERS);
  for (const name of ["MEDIA_ADMIN_SECRET", "MEDIA_ROOM_ADMIN_KEY"] as const) {
    // The committed values would guard Janus's admin API and room creation: never in production.
    if (production && servers.length > 0 && env[name] === MEDIA_DEFAULTS[name]) {
      throw new ConfigError(
        `Invalid configuration: ${name} is the development value; set your own (16+ random characters) in production`,
      );
    }
  }
  const list = (value: string) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  return {
    servers,
    adminSecret: env.MEDIA_ADMIN_SECRET,
    roomAdminKey: env.MEDIA_ROOM_ADMIN_KEY,
    publicUrl: env.MEDIA_PUBLIC_URL || null,
    iceServers: list(env.MEDIA_ICE_SERVERS),
    turnSecret: env.MEDIA_TURN_SECRET || null,
  };
}

/** An empty value (`SMTP_URL=` in .env) means unset. */
const unsetWhenEmpty = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** Mail (docs/decisions/021): SMTP, the sender, the public address links point to, and the account links' limits. */
const mailSchema = z.object({
  /** smtp:// or smtps:// URL of the mail server; unset: mail is kept in the local outbox (/dev/mail). */
  SMTP_URL: unsetWhenEmpty(
    z.url().refine((value) => /^smtps?:\/\//.test(value), { error: "SMTP_URL must start with smtp:// or smtps://" }),
  ),
  /** The sender of every mail, "Name <address>" or an address. */
  MAIL_FROM: z.string().min(3).default(DEVELOPMENT_MAIL_FROM),
  /** The address people open Livehall at; every link in a mail starts with it. Required in production. */
  APP_URL: unsetWhenEmpty(z.url({ protocol: /^https?$/ })),
  /** Set by `npm start` in demo mode (no AUTH_SECRET given): production keeps mail in the outbox and shows /dev/mail. */
  DEMO_MODE: z.stringbool().default(false),
  /** How long a verification link (new account, changed e-mail) works. */
  EMAIL_VERIFY_TTL_HOURS: z.coerce.number().positive().default(24),
  /** How long a password-reset link works. */
  PASSWORD_RESET_TTL_MINUTES: z.coerce.number().positive().default(30),
  /** Verification mails one user may ask for (resend, e-mail change) per window. */
  EMAIL_VERIFY_RATE_POINTS: count(5),
  EMAIL_VERIFY_RATE_DURATION_SECONDS: seconds(60 * 60),
  /** Mails one instructor's roster additions may send per window (invitations and "you were added"). */
  INVITE_MAIL_RATE_POINTS: count(300),
  INVITE_MAIL_RATE_DURATION_SECONDS: seconds(60 * 60),
  /** Reset mails asked for one address per window (whether or not it has an account). */
  PASSWORD_RESET_PER_ADDRESS: count(3),
  /** Reset requests from one IP per window, whatever the address. */
  PASSWORD_RESET_PER_IP: count(20),
  PASSWORD_RESET_WINDOW_SECONDS: seconds(60 * 60),
});

export interface MailConfig {
  /** null: the local outbox. */
  smtpUrl: string | null;
  from: string;
  /** Without a trailing slash. */
  appUrl: string;
  /** Whether admins may read the local outbox at /dev/mail: development, test, and demo mode. */
  outboxViewable: boolean;
  verifyTtlMs: number;
  resetTtlMs: number;
  verifyRate: { points: number; windowMs: number };
  inviteRate: { points: number; windowMs: number };
  resetRate: { perAddress: number; perIp: number; windowMs: number };
}

function toMail(env: z.output<typeof mailSchema> & { NODE_ENV: string; PORT: number }): MailConfig {
  const production = env.NODE_ENV === "production";
  if (production && !env.APP_URL) {
    throw new ConfigError(
      "Invalid configuration: APP_URL is not set; set it in production to the address people open Livehall at (links in mails start with it)",
    );
  }
  if (production && !env.DEMO_MODE && !env.SMTP_URL) {
    throw new ConfigError(
      "Invalid configuration: SMTP_URL is not set; set it in production so verification and password-reset mails reach people (or run `npm start` without AUTH_SECRET for demo mode, which keeps mail in a local outbox)",
    );
  }
  if (production && env.SMTP_URL && env.MAIL_FROM === DEVELOPMENT_MAIL_FROM) {
    throw new ConfigError(
      "Invalid configuration: MAIL_FROM is the development sender; set the address your mail goes out from in production",
    );
  }
  const s = (value: number) => Math.round(value * 1000);
  return {
    smtpUrl: env.SMTP_URL ?? null,
    from: env.MAIL_FROM,
    appUrl: (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ""),
    outboxViewable: !production || env.DEMO_MODE,
    verifyTtlMs: Math.round(env.EMAIL_VERIFY_TTL_HOURS * 3_600_000),
    resetTtlMs: Math.round(env.PASSWORD_RESET_TTL_MINUTES * 60_000),
    verifyRate: { points: env.EMAIL_VERIFY_RATE_POINTS, windowMs: s(env.EMAIL_VERIFY_RATE_DURATION_SECONDS) },
    inviteRate: { points: env.INVITE_MAIL_RATE_POINTS, windowMs: s(env.INVITE_MAIL_RATE_DURATION_SECONDS) },
    resetRate: {
      perAddress: env.PASSWORD_RESET_PER_ADDRESS,
      perIp: env.PASSWORD_RESET_PER_IP,
      windowMs: s(env.PASSWORD_RESET_WINDOW_SECONDS),
    },
  };
}

const coreSchema = timingsSchema.extend({
  ...roomLimitsSchema.shape,
  ...limitsSchema.shape,
  ...mediaSchema.shape,
  ...mailSchema.shape,
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.url().default(DEFAULT_DATABASE_URL),
  REDIS_URL: z.url().default(DEFAULT_REDIS_URL),
  /** Namespaces every Redis key and pub/sub channel, so test files (and deployments) never collide. */
  REDIS_KEY_PREFIX: z.string().default("lh:"),
  AUTH_SECRET: z.string().min(32).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Comma-separated origins allowed to send cookie-authenticated mutations (the CSRF rule). */
  APP_ORIGINS: z.string().optional(),
  /** Live-event streams one user may hold open on one instance (tabs, devices); more answer 429. */
  MAX_STREAMS_PER_USER: z.coerce.number().int().positive().default(20),
  /**
   * A room stream whose unsent bytes pass this (a client that stopped reading) is dropped; its
   * browser reconnects and resumes from its last event id (docs/decisions/023).
   */
  ROOM_STREAM_MAX_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /**
   * From this many participants on, a room's participant changes reach tabs at most once per
   * 250 ms and session, and a snapshot lists only this many of them (its count stays exact;
   * docs/decisions/023).
   */
  ROOM_LARGE_PARTICIPANTS: z.coerce.number().int().positive().default(200),
  /**
   * At most this many tabs are written to in one turn of the event loop; an event for more goes out
   * in slices, other work (heartbeats, joins) running in between (docs/decisions/023).
   */
  ROOM_FANOUT_SLICE: z.coerce.number().int().positive().default(100),
});

const webSchema = coreSchema.extend({
  /** Every interface in production, loopback otherwise (defaultHost). */
  HOST: z.string().optional(),
  /** /metrics has its own listener, off the public port: loopback by default. */
  METRICS_HOST: z.string().default("127.0.0.1"),
  /** The web /metrics port; 0 picks a free one (logged at start). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9465),
});

const workerSchema = coreSchema.extend({
  /** The worker's /metrics, /healthz and /readyz port; 0 picks a free one. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /** Session-mail jobs (one per session) one worker sends at once: classes starting together don't wait in line. */
  SESSION_MAIL_CONCURRENCY: z.coerce.number().int().positive().default(4),
});

/** Every variable the web server and the worker read (documented in .env.example and the README). */
export const CONFIG_VARIABLES = [...new Set([...Object.keys(webSchema.shape), ...Object.keys(workerSchema.shape)])];

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
    signInMaxAgeMs: Math.round(env.SIGN_IN_MAX_AGE_DAYS * 86_400_000),
    signInIdleMs: Math.round(env.SIGN_IN_IDLE_DAYS * 86_400_000),
    refreshTokenRetentionMs: s(env.REFRESH_TOKEN_RETENTION_SECONDS),
    heartbeatIntervalMs: s(env.HEARTBEAT_INTERVAL_SECONDS),
    presenceTimeoutMs: s(env.PRESENCE_TIMEOUT_SECONDS),
    schedulerEveryMs: {
      tokensExpire: s(env.TOKENS_EXPIRE_EVERY_SECONDS),
      participantsDedupe: s(env.PARTICIPANTS_DEDUPE_EVERY_SECONDS),
      heartbeatsEvict: s(env.HEARTBEATS_EVICT_EVERY_SECONDS),
      sessionsEndOverrun: s(env.SESSIONS_END_OVERRUN_EVERY_SECONDS),
      mediaReconcile: s(env.MEDIA_RECONCILE_EVERY_SECONDS),
      sessionMailSync: s(env.SESSION_MAIL_SYNC_EVERY_SECONDS),
    },
    sessionOverrunGraceMs: Math.round(env.SESSION_OVERRUN_GRACE_MINUTES * 60_000),
    clientBackoff: { baseMs: env.CLIENT_BACKOFF_BASE_MS, capMs: env.CLIENT_BACKOFF_CAP_MS },
    runJobTimeoutMs: env.RUN_JOB_TIMEOUT_MS,
    sessionsRefreshMs: s(env.SESSIONS_REFRESH_SECONDS),
    streamMaxDurationMs: s(env.STREAM_MAX_SECONDS),
    ratingMinAttendanceMs: s(env.RATING_MIN_ATTENDANCE_SECONDS),
    sessionReminderLeadMs: Math.round(env.SESSION_REMINDER_LEAD_MINUTES * 60_000),
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
  roomStream: { maxBufferBytes: number; largeRoomParticipants: number; fanoutSlice: number };
  timings: Timings;
  /** Budgets of the room's procedures (per user; heartbeats per connection). */
  roomRates: Record<RoomProcedure, RoomRate>;
  maxTabsPerSession: number;
  limits: Limits;
  media: MediaConfig;
  mail: MailConfig;
}

/**
 * The committed development secret signs tokens anyone can forge, so it is accepted only where nobody
 * else can reach the server: development or test, listening on loopback (`host`; the worker listens
 * for nobody but its metrics scrape and passes null).
 */
function assertSecretAllowed(env: z.output<typeof coreSchema>, host: string | null): void {
  const secret = env.AUTH_SECRET ?? DEVELOPMENT_SECRET;
  if (secret !== DEVELOPMENT_SECRET) return;
  const usedAs = env.AUTH_SECRET ? "AUTH_SECRET is the development secret" : "AUTH_SECRET is not set";
  if (env.NODE_ENV === "production") {
    throw new ConfigError(`Invalid configuration: ${usedAs}; set AUTH_SECRET (32+ random characters) in production`);
  }
  if (host !== null && !LOOPBACK_HOSTS.has(host)) {
    throw new ConfigError(
      `Invalid configuration: ${usedAs}, and the development secret is only allowed on a loopback address, but HOST is ${host}; set AUTH_SECRET (32+ random characters) or HOST=127.0.0.1`,
    );
  }
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function toCore(env: z.output<typeof coreSchema>, host: string | null): CoreConfig {
  assertSecretAllowed(env, host);
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
    roomStream: {
      maxBufferBytes: env.ROOM_STREAM_MAX_BUFFER_BYTES,
      largeRoomParticipants: env.ROOM_LARGE_PARTICIPANTS,
      fanoutSlice: env.ROOM_FANOUT_SLICE,
    },
    timings: toTimings(env),
    roomRates: toRoomRates(env),
    maxTabsPerSession: env.MAX_TABS_PER_SESSION,
    limits: toLimits(env),
    media: toMedia(env, env.NODE_ENV === "production"),
    mail: toMail(env),
  };
}

export function loadCoreConfig(env: Env = process.env): CoreConfig {
  return toCore(parse(coreSchema, env), null);
}

export interface WebConfig extends CoreConfig {
  host: string;
  metrics: { host: string; port: number };
}

export function loadWebConfig(env: Env = process.env): WebConfig {
  const parsed = parse(webSchema, env);
  const host = parsed.HOST ?? defaultHost(parsed.NODE_ENV);
  return { ...toCore(parsed, host), host, metrics: { host: parsed.METRICS_HOST, port: parsed.METRICS_PORT } };
}

export interface WorkerConfig extends CoreConfig {
  metricsPort: number;
  concurrency: number;
  sessionMailConcurrency: number;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const parsed = parse(workerSchema, env);
  return {
    ...toCore(parsed, null),
    metricsPort: parsed.WORKER_METRICS_PORT,
    concurrency: parsed.WORKER_CONCURRENCY,
    sessionMailConcurrency: parsed.SESSION_MAIL_CONCURRENCY,
  };
}
