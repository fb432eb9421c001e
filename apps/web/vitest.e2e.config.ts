import { integrationTestConfig } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

const shared = integrationTestConfig!;
const sharedGlobalSetup = shared.globalSetup === undefined ? [] : [shared.globalSetup].flat();

/**
 * End-to-end tests in real Chromium (apps/web/e2e/*.e2e.ts): each file gets its own database and
 * Redis namespace (the integration preset), starts the web server in-process with the Vite dev
 * middleware and drives Debian's Chromium through playwright-core. Files run one after the other: each
 * runs a browser and a Vite server, and together they would only compete for the same CPUs.
 */
export default defineConfig({
  test: {
    ...shared,
    include: ["e2e/**/*.e2e.ts"],
    exclude: ["**/node_modules/**", "**/build/**"],
    globalSetup: [...sharedGlobalSetup, "./e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Browser state takes a moment to follow (navigations, revalidations): poll for it, generously.
    expect: { poll: { timeout: 10_000, interval: 50 } },
  },
});
