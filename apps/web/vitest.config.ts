import { integrationTestConfig } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

// Kept apart from vite.config.ts: the Remix Vite plugin is not meant to run under Vitest.
export default defineConfig({ test: integrationTestConfig });
