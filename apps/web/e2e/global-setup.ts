import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureChromium } from "./ensure-chromium.mjs";
import { E2E_RUNS_DIR, FIXED_E2E_APP_ROOT, appRoot } from "./paths";

/**
 * Vitest globalSetup of the e2e run: Chromium is there (installed with apt when missing, as root),
 * and the app is built for production into a folder of this run's own, which every spec serves
 * (docs/decisions/009). The folder is removed when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureChromium();
  await mkdir(E2E_RUNS_DIR, { recursive: true });
  const runRoot = FIXED_E2E_APP_ROOT ?? (await mkdtemp(path.join(E2E_RUNS_DIR, "run-")));
  buildApp(path.join(runRoot, "build"));
  project.provide("e2eAppRoot", runRoot);
  return async () => {
    if (!FIXED_E2E_APP_ROOT) await rm(runRoot, { recursive: true, force: true });
  };
}

function buildApp(buildDirectory: string): void {
  const started = Date.now();
  const remixCli = createRequire(import.meta.url).resolve("@remix-run/dev/dist/cli.js");
  const result = spawnSync(process.execPath, [remixCli, "vite:build"], {
    cwd: appRoot,
    env: { ...process.env, NODE_ENV: "production", LIVEHALL_WEB_BUILD_DIR: buildDirectory },
    encoding: "utf8",
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}\n${result.stderr}\n`);
    const error = new Error(
      `✖ Building the web app for the end-to-end tests failed (remix vite:build exited ${result.status ?? result.signal}).`,
    );
    error.stack = error.message;
    throw error;
  }
  console.log(
    `Built the web app into ${path.relative(appRoot, buildDirectory)} for the end-to-end tests in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
}
