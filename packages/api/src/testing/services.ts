import { beforeAll } from "vitest";
import { loadCoreConfig } from "../config";
import { createContext, type Context, type SessionUser } from "../context";
import { closeServices, createServices } from "../services/container";

/** A clock tests can move forward. */
export function fakeClock(start = new Date()) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Services for the current test file (its own database and Redis namespace from the harness env). */
export function createTestServices(overrides: Record<string, string> = {}, options: { clock?: () => Date } = {}) {
  const config = loadCoreConfig({ ...process.env, ...overrides });
  const services = createServices(config, options);
  // The request-path Redis client fails fast instead of queueing: let it connect before tests run.
  beforeAll(
    () =>
      new Promise<void>((resolve) =>
        services.redis.status === "ready" ? resolve() : services.redis.once("ready", () => resolve()),
      ),
  );
  return {
    services,
    context: (user: SessionUser | null = null, request: Partial<Context["req"]> = {}): Context =>
      createContext(services, {
        user,
        req: {
          requestId: "test",
          ip: "127.0.0.1",
          userAgent: "vitest",
          origin: null,
          authTransport: user ? "bearer" : "none",
          refreshCookie: null,
          ...request,
        },
      }),
    close: () => closeServices(services),
  };
}

/** Users inserted with SQL (argon2 is deliberately slow, so storms never go through signup). */
export async function insertUsers(
  services: Pick<Context, "db">,
  count: number,
  options: {
    role?: SessionUser["role"];
    passwordHash?: string;
    emailPrefix?: string;
    /** Whether their address counts as verified (default true, as for every account before verification existed). */
    verified?: boolean;
  } = {},
): Promise<{ id: string; email: string; role: SessionUser["role"] }[]> {
  const prefix = options.emailPrefix ?? `user-${Math.random().toString(36).slice(2, 8)}`;
  const verifiedAt = options.verified === false ? null : new Date();
  return services.db.$queryRaw`
    INSERT INTO "User" (email, name, "passwordHash", role, "emailVerifiedAt")
    SELECT ${prefix} || '-' || n || '@example.test', 'Test User ' || n, ${options.passwordHash ?? "x"}, ${options.role ?? "STUDENT"}::"Role", ${verifiedAt}::timestamptz
    FROM generate_series(1, ${count}::int) AS n
    RETURNING id, email::text AS email, role::text AS role`;
}

/**
 * Drops the event bus's subscriber connection from the Redis side, as a network failure or a Redis
 * restart would (the connection is named after the key prefix: this test file's instances only).
 */
export async function dropEventBusConnection(services: Pick<Context, "redis" | "keys">): Promise<number> {
  const list = String(await services.redis.client("LIST"));
  const ids = list
    .split("\n")
    .filter((line) => line.includes(` name=${services.keys.prefix}events `))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await services.redis.client("KILL", "ID", id);
  return ids.length;
}
