import { integrationTestConfig, janusGlobalSetup } from "@livehall/testing/vitest-preset";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { ...integrationTestConfig, globalSetup: [...(integrationTestConfig?.globalSetup ?? []), janusGlobalSetup] },
});
