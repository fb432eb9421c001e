import { integrationTestConfig } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

// Kept apart from vite.config.ts: the Remix Vite plugin is not meant to run under Vitest.
// The media suites need Janus and the media namespace: vitest.media.config.ts runs them.
export default defineConfig({
  test: { ...integrationTestConfig, exclude: [...(integrationTestConfig!.exclude ?? []), "**/*.media.test.ts"] },
});
