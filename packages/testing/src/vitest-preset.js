// Plain JavaScript on purpose: Vite's config loader runs vitest.config.ts files with Node, which
// cannot import TypeScript from a linked workspace package.
import { fileURLToPath } from "node:url";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** Vitest globalSetup starting one Janus for the run (add it to `globalSetup` where media is tested). */
export const janusGlobalSetup = here("./janus-setup.ts");

/**
 * Shared Vitest settings for integration tests: a migrated template before the run, a private
 * database and Redis namespace per file, files in parallel in separate processes.
 * @type {import("vitest/config").ViteUserConfig["test"]}
 */
export const integrationTestConfig = {
  globalSetup: [here("./global-setup.ts")],
  setupFiles: [here("./vitest-setup.ts")],
  pool: "forks",
  testTimeout: 30_000,
  hookTimeout: 60_000,
  exclude: ["**/node_modules/**", "**/e2e/**", "**/build/**", "**/dist/**"],
};
