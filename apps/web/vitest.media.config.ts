import { integrationTestConfig, janusGlobalSetup } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

const shared = integrationTestConfig!;
const sharedGlobalSetup = shared.globalSetup === undefined ? [] : [shared.globalSetup].flat();

// Inside the media namespace every port is ours: the specs' web server listens on this one, and the
// run's Janus posts its events there (janus-setup reads it).
process.env.LIVEHALL_MEDIA_EVENTS_URL ??= "http://127.0.0.1:3000/media/events";

/**
 * The media suites: the web server's media routes (server/*.media.test.ts) and media end to end
 * (e2e/*.media.ts), run inside the media network namespace against one Janus for the whole run.
 * One file at a time: they share that Janus, and each e2e file runs a browser.
 */
export default defineConfig({
  test: {
    ...shared,
    include: ["server/**/*.media.test.ts", "e2e/**/*.media.ts"],
    exclude: ["**/node_modules/**", "**/build/**"],
    globalSetup: [...sharedGlobalSetup, "./e2e/global-setup.ts", janusGlobalSetup],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
