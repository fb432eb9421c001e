import type { Db } from "@livehall/db";
import type { TokenKeys } from "./auth/tokens";
import type { EventBus } from "./events";
import type { JobRunner } from "./jobs/runner";
import type { CoreConfig } from "./config";
import type { Reason } from "./errors";
import type { Logger } from "./logger";
import type { Mailer } from "./mail/mailer";
import type { MediaServers } from "./media/servers";
import type { Redis, RedisKeys } from "./redis";

/** Long-lived dependencies, built once per process. */
export interface Services {
  db: Db;
  redis: Redis;
  keys: RedisKeys;
  config: CoreConfig;
  tokenKeys: TokenKeys;
  /** Live events across instances (Redis pub/sub). */
  events: EventBus;
  /** On-demand maintenance jobs and their schedules (BullMQ). */
  jobs: JobRunner;
  /** The media servers (Janus) rooms are placed on. */
  media: MediaServers;
  /** SMTP or the local outbox (mail/mailer.ts); send through `sendMail` (mail/send.ts). */
  mailer: Mailer;
  logger: Logger;
  /** The current time; tests substitute a fake clock. */
  clock: () => Date;
}

export type Role = "STUDENT" | "INSTRUCTOR" | "ADMIN";

/** The user a request acts for, resolved once per request by the transport (web server, script). */
export interface SessionUser {
  id: string;
  role: Role;
  familyId: string;
}

export interface RequestInfo {
  requestId: string;
  ip: string;
  userAgent: string | null;
  /** Origin (or Referer's origin) of the request, for the CSRF rule. */
  origin: string | null;
  /** How the caller authenticated: by cookie (CSRF rule applies), bearer token, or not at all. */
  authTransport: "cookie" | "bearer" | "none";
  /** The `lh_rt` cookie, for auth.refresh and auth.logout without a body token. */
  refreshCookie: string | null;
  /** Whether the browser reached us over https (directly, or through a trusted proxy that says so). */
  secure?: boolean;
}

export interface ResponseHeaders {
  append(name: string, value: string): void;
}

export interface Context extends Services {
  req: RequestInfo;
  user: SessionUser | null;
  /** Why credentials that were presented did not yield a user (expired, revoked, outage…). */
  authError: Reason | null;
  /** When the access token this request used expires (so clients can refresh ahead of time). */
  accessTokenExpiresAt: Date | null;
  /** Response headers the procedure may add to (cookies); absent for in-process callers. */
  resHeaders: ResponseHeaders | null;
}

/**
 * The context of one call. Built property by property on purpose: on Node 20's V8, an object spread
 * followed by more properties (`{ ...services, user }`) gives every result a hidden class of its own —
 * about 4 µs and a new map per request, and every later read of the context megamorphic.
 */
export function createContext(services: Services, request: Partial<Omit<Context, keyof Services>> = {}): Context {
  return {
    db: services.db,
    redis: services.redis,
    keys: services.keys,
    config: services.config,
    tokenKeys: services.tokenKeys,
    events: services.events,
    jobs: services.jobs,
    media: services.media,
    mailer: services.mailer,
    logger: services.logger,
    clock: services.clock,
    user: request.user ?? null,
    authError: request.authError ?? null,
    accessTokenExpiresAt: request.accessTokenExpiresAt ?? null,
    resHeaders: request.resHeaders ?? null,
    req: request.req ?? {
      requestId: "internal",
      ip: "127.0.0.1",
      userAgent: null,
      origin: null,
      authTransport: "none",
      refreshCookie: null,
    },
  };
}
