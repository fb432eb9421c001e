import { integrationTestConfig, janusGlobalSetup } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

const shared = integrationTestConfig!;

/**
 * The media suites (*.media.test.ts): against a real Janus started once for the run. One file at a
 * time: the media.reconcile job sees every room and handle on the server, whichever file made them.
 */
export default defineConfig({
  test: {
    ...shared,
    include: ["src/**/*.media.test.ts"],
    globalSetup: [...[shared.globalSetup ?? []].flat(), janusGlobalSetup],
    fileParallelism: false,
  },
});
