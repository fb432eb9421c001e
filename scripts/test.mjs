#!/usr/bin/env node
// `npm test` — everything CI checks, on a fresh clone: install if needed, make sure Postgres and
// Redis are reachable (starting local ones), prepare the migrated template database the test
// files clone, then typecheck, lint and test every workspace. Every step runs even when an earlier
// check failed (so one run shows every failure); the run exits non-zero when any step failed.
// Ends with a summary (one line per step with its time) and the closing line
// `tests: N passed, N failed` — the test cases counted from every runner's own summary, plus any
// failed step that is not a test run (typecheck, lint) counted as a failure.
//
// Node built-ins only: this runs before `npm install`.
import { ensureJanusInstalled } from "../packages/media-server/src/install.mjs";
import { ensureChromium } from "../apps/web/e2e/ensure-chromium.mjs";
import { ROOT, color, exitWithError, log, run, seconds } from "./lib/proc.mjs";
import { ensureServices, redactUrl, testServices } from "./lib/services.mjs";
import { NPM, NPX, childEnv, ensureDependencies } from "./lib/setup.mjs";

const USAGE = `Usage: node scripts/test.mjs [--prepare-only]

  (no flag)        prepare (install, services, template database), then typecheck, lint, test (npm test)
  --prepare-only   only prepare, so a single workspace's tests can be run by hand afterwards
`;
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = args.find((arg) => arg !== "--prepare-only");
if (unknown) {
  console.error(`✖ Unknown option ${unknown}. ${USAGE.split("\n")[0]}`);
  process.exit(2);
}
const prepareOnly = args.includes("--prepare-only");

const startedAt = Date.now();
const results = [];
const testCounts = { passed: 0, failed: 0 };

// eslint-disable-next-line no-control-regex -- matching terminal colour codes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Adds up the cases reported by Vitest ("Tests  3 failed | 40 passed (43)") and node --test ("ℹ pass 20"). */
export function countTests(output) {
  const counts = { passed: 0, failed: 0 };
  for (const line of output.replace(ANSI, "").split("\n")) {
    // Turbo prefixes each line with "<package>:<task>: ".
    const trimmed = line.replace(/^\S+:\S+:\s/, "").trim();
    if (/^Tests\s/.test(trimmed)) {
      counts.passed += Number(trimmed.match(/(\d+) passed/)?.[1] ?? 0);
      counts.failed += Number(trimmed.match(/(\d+) failed/)?.[1] ?? 0);
    }
    const node = trimmed.match(/^ℹ (pass|fail) (\d+)$/);
    if (node) counts[node[1] === "pass" ? "passed" : "failed"] += Number(node[2]);
  }
  return counts;
}

function record(name, ok, ms, note = "") {
  results.push({ name, ok, ms, note });
}

/**
 * A check step: runs to the end whatever happens, recorded as passed or failed. `buffered`: its output
 * is printed whole when it ends (for checks that run side by side).
 */
async function check(name, command, args, env, { runsTests = false, buffered = false } = {}) {
  const header = `\n${color.cyan("▸")} ${color.bold(name)}: ${[command, ...args].join(" ")}`;
  if (!buffered) console.log(header);
  const started = Date.now();
  const result = await run(command, args, { env, cwd: ROOT, tee: runsTests && !buffered, capture: buffered });
  if (buffered) process.stdout.write(`${header}\n${result.output}`);
  const ok = result.code === 0;
  const counted = runsTests ? countTests(result.output) : { passed: 0, failed: 0 };
  testCounts.passed += counted.passed;
  // A failing step whose failures no runner counted (a crash, a type error) still counts as one.
  testCounts.failed += counted.failed || (ok ? 0 : 1);
  record(
    name,
    ok,
    Date.now() - started,
    ok ? (runsTests ? `${counted.passed} tests` : "") : `exit ${result.signal ?? result.code}`,
  );
  return ok;
}

function summary() {
  const width = Math.max(...results.map((r) => r.name.length));
  const passed = results.filter((r) => r.ok === true).length;
  const failed = results.filter((r) => r.ok === false).length;
  console.log(`\n${color.bold("Summary")}`);
  for (const r of results) {
    const mark =
      r.ok === true ? color.green("✔ passed ") : r.ok === false ? color.red("✖ FAILED ") : color.yellow("- skipped");
    console.log(
      `  ${mark} ${r.name.padEnd(width)}  ${seconds(r.ms).padStart(6)}${r.note ? color.dim(`  ${r.note}`) : ""}`,
    );
  }
  console.log(`  total ${seconds(Date.now() - startedAt)}`);
  console.log(`  steps: ${passed} passed, ${failed} failed`);
  // The closing line, plain and on its own line (tools read it).
  console.log(`tests: ${testCounts.passed} passed, ${testCounts.failed} failed`);
  return failed === 0 ? 0 : 1;
}

async function main() {
  // 1. Services first: a wrong URL is reported in a second, before any install.
  let started = Date.now();
  const services = testServices();
  const ready = await ensureServices([services.postgres, services.redis]);
  record(
    "services",
    true,
    Date.now() - started,
    ready.map(({ target, action }) => `${target.label} ${action}`).join(", "),
  );
  log.ok(
    ready
      .map(({ target, action }) => `${target.label} ${action === "ready" ? "ready" : action} at ${target.redacted}`)
      .join(" · "),
  );

  // 2. Dependencies.
  started = Date.now();
  try {
    const how = await ensureDependencies();
    record("dependencies", true, Date.now() - started, how);
  } catch (error) {
    log.fail(error.message);
    record("dependencies", false, Date.now() - started, "install failed");
    return summary();
  }

  // Tests need the template database and Redis only: never the development database.
  const env = childEnv({ TEST_DATABASE_URL: services.testDatabaseUrl, REDIS_URL: services.redis.url });

  // 3. The migrated template database every test file clones.
  // Rebuilt from the migrations at every run: a template left by an older checkout cannot drift.
  const template = await check(
    `template database`,
    NPM,
    ["run", "--silent", "migrate", "-w", "@livehall/db", "--", "--fresh"],
    {
      ...env,
      DATABASE_URL: services.testDatabaseUrl,
    },
  );
  results.at(-1).note ||= redactUrl(services.testDatabaseUrl);
  if (!template) {
    for (const name of ["scripts", "typecheck", "lint", "tests"])
      results.push({ name, ok: null, ms: 0, note: "needs the template database" });
    return summary();
  }

  if (prepareOnly) {
    log.ok(
      `Prepared in ${seconds(Date.now() - startedAt)}: TEST_DATABASE_URL=${redactUrl(services.testDatabaseUrl)} REDIS_URL=${services.redis.redacted}`,
    );
    return 0;
  }

  // 4. The checks.
  await check("scripts", process.execPath, ["--test", "--test-reporter=spec", "scripts/lib/"], env, {
    runsTests: true,
  });
  // The static checks in two lanes side by side (most are one process on one core, and this machine
  // has two). What reads the generated Prisma client runs after `typecheck`, which generates it.
  const lanes = [
    [
      ["typecheck", NPX, ["turbo", "run", "typecheck", "--continue", "--output-logs=new-only"]],
      // The root scripts are not a workspace: checked here directly.
      ["typecheck scripts", NPX, ["tsc", "-p", "scripts"]],
      ["unused code", NPX, ["knip"]],
    ],
    [
      ["lint", NPX, ["turbo", "run", "lint", "--continue", "--output-logs=new-only"]],
      ["lint scripts", NPX, ["eslint", "scripts", "eslint.config.js"]],
      ["format", NPX, ["prettier", "--check", "--log-level=warn", "."]],
      ["copy-paste", NPX, ["jscpd", "--silent", "apps", "packages", "scripts", "bench"]],
    ],
  ];
  await runLanes(lanes, env);

  // What the browser suites need, installed before they run side by side (apt takes one at a time).
  for (const [name, install] of [
    ["chromium", () => ensureChromium()],
    ["janus", () => ensureJanusInstalled()],
  ]) {
    started = Date.now();
    try {
      await install();
      record(name, true, Date.now() - started);
    } catch (error) {
      log.fail(error.message);
      record(name, false, Date.now() - started, "install failed");
      testCounts.failed += 1;
    }
  }
  // The tests in two lanes side by side: the end-to-end specs (one file at a time, each with its own
  // web server and Chromium) beside every other suite (each Vitest run spreads its files over the cores).
  await runLanes(
    [
      [["test e2e", NPM, ["run", "test:e2e", "-w", "@livehall/web"]]],
      [
        ["test packages", NPX, ["turbo", "run", "test", "--continue", "--concurrency=1", "--filter=!@livehall/web"]],
        ["test web", NPM, ["run", "test:unit", "-w", "@livehall/web"]],
        ["test media", NPM, ["run", "test:media", "-w", "@livehall/web"]],
      ],
    ],
    env,
    { runsTests: true },
  );
  return summary();
}

/** Runs lanes of checks side by side, each lane's checks one after another; output printed per check. */
async function runLanes(lanes, env, { runsTests = false } = {}) {
  await Promise.all(
    lanes.map(async (lane) => {
      for (const [name, command, args] of lane) await check(name, command, args, env, { runsTests, buffered: true });
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main().then((code) => process.exit(code), exitWithError);
