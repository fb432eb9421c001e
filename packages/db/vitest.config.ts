import { integrationTestConfig } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

export default defineConfig({ test: integrationTestConfig });
