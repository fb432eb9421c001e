import type { Db } from "@livehall/db";
import type { CoreConfig } from "./config";
import type { Redis, RedisKeys } from "./redis";

/** Long-lived dependencies, built once per process. */
export interface Services {
  db: Db;
  redis: Redis;
  keys: RedisKeys;
  config: CoreConfig;
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
}

export interface Context extends Services {
  req: RequestInfo;
  user: SessionUser | null;
  /** Response headers the procedure may add to (cookies); absent for in-process callers. */
  resHeaders: Headers | null;
}

export function createContext(services: Services, request: Partial<Omit<Context, keyof Services>> = {}): Context {
  return {
    ...services,
    user: request.user ?? null,
    resHeaders: request.resHeaders ?? null,
    req: request.req ?? { requestId: "internal", ip: "127.0.0.1", userAgent: null, origin: null, authTransport: "none" },
  };
}
