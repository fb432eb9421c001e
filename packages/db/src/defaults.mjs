import { existsSync } from "node:fs";
import path from "node:path";

// The defaults that work on a developer machine, defined once. Plain JavaScript so that the set-up
// scripts (which run before `npm install`) read the same values as every package.

/** Postgres when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:5432/livehall";

/** Redis when REDIS_URL is not set. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** The migrated template database test files clone, on DATABASE_URL's server (TEST_DATABASE_URL overrides). */
export const TEST_DATABASE_NAME = "livehall_test";

/** Where the web server listens when HOST is not set: every interface in production, loopback otherwise. */
export function defaultHost(nodeEnv) {
  return nodeEnv === "production" ? "0.0.0.0" : "127.0.0.1";
}

/**
 * Loads the repository's `.env` when there is one (variables already set win). The repository root
 * is the nearest folder above the working directory with a package-lock.json, so this works from
 * the root scripts, a workspace's npm script and a bundled build alike.
 */
export function loadEnvFile(from = process.cwd()) {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package-lock.json"))) {
      const file = path.join(dir, ".env");
      if (existsSync(file)) process.loadEnvFile(file);
      return;
    }
    if (dir === path.dirname(dir)) return;
  }
}
