import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { closeServices, createLogger, createServices, type Services } from "@livehall/api";
import { loadCoreConfig } from "@livehall/api/config";
import { TEST_REDIS_URL, createRedisNamespace, createTestDatabase } from "@livehall/testing";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BENCH_DIR = path.join(ROOT, "bench");

/** One secret for the whole run: the parent signs tokens the servers (and the baseline) verify. */
export const AUTH_SECRET = `livehall-bench-${randomBytes(24).toString("hex")}`;

/**
 * What every process of the bench runs with: production mode (no pretty logs, no dev checks), logs
 * at warn so a request log line per call does not dominate, and loopback only.
 */
export const BASE_ENV: Record<string, string> = {
  NODE_ENV: "production",
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
  AUTH_SECRET,
  REDIS_URL: TEST_REDIS_URL,
  HOST: "127.0.0.1",
  APP_ORIGINS: "http://127.0.0.1",
  APP_URL: "http://127.0.0.1",
  // The scenarios send no mail: production's demo mode keeps any in the local outbox, no SMTP server.
  DEMO_MODE: "true",
  // The scenarios measure presence and events, not media: no media server.
  MEDIA_SERVERS: "",
  // The heartbeat scenario beats one connection as fast as it can: a budget it never runs out of,
  // so it measures the answer a tab gets (the budget's script still runs on every beat).
  ROOM_RATE_HEARTBEAT_BURST: "1000000000",
  ROOM_RATE_HEARTBEAT_PER_SECOND: "1000000000",
};

/**
 * The same preparation as `npm test`: Postgres and Redis reachable (started if needed) and the
 * migrated template database (`livehall_test`) every bench database is cloned from.
 */
export async function prepareServices(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(ROOT, "scripts/test.mjs"), "--prepare-only"], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: "0" },
    maxBuffer: 16 * 1024 * 1024,
  });
}

export interface Isolated {
  /** Environment for servers of this scenario (its database and Redis prefix). */
  env: Record<string, string>;
  /** The scenario's own services in the bench process (fixtures, checks, in-process jobs). */
  services: Services;
  close(): Promise<void>;
}

/**
 * A database cloned from the template and a Redis key prefix of its own, so each scenario starts
 * from an empty, migrated state and one scenario's rows never skew another's queries.
 */
export async function isolated(): Promise<Isolated> {
  const database = await createTestDatabase();
  const namespace = createRedisNamespace();
  const env = { ...BASE_ENV, DATABASE_URL: database.url, REDIS_KEY_PREFIX: namespace.prefix };
  const config = loadCoreConfig(env);
  const services = createServices(config, { logger: createLogger(config, "bench") });
  await redisReady(services);
  return {
    env,
    services,
    close: async () => {
      await closeServices(services);
      await Promise.allSettled([database.drop(), namespace.clear()]);
    },
  };
}

/** The request-path Redis client fails fast instead of queueing: wait until it is connected. */
export function redisReady(services: Pick<Services, "redis">): Promise<void> {
  if (services.redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => services.redis.once("ready", () => resolve()));
}
