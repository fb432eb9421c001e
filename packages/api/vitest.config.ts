import { integrationTestConfig } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

// The media suites need a Janus: vitest.media.config.ts runs them.
export default defineConfig({
  test: { ...integrationTestConfig, exclude: [...(integrationTestConfig!.exclude ?? []), "**/*.media.test.ts"] },
});
