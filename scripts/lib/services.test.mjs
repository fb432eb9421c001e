// Tests of the service preparation behind `npm start`, `npm run dev` and `npm test`.
// Run: node --test scripts/   (part of `npm test`, step "scripts").
// Uses the shared Postgres and Redis read-only (one connection check each) and never stops them;
// an unreachable server is always a closed port on 127.0.0.1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { describe, test } from "node:test";
import { ROOT } from "./proc.mjs";
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  describeService,
  ensureServices,
  probePostgres,
  probeRedis,
  redactUrl,
  testServices,
} from "./services.mjs";

/** A loopback port nobody listens on: bind port 0, note the port, close. */
async function closedPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The servers the tests use (those `npm test` has just made sure of). */
const reachableDatabaseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const reachableRedisUrl = process.env.TEST_REDIS_URL || process.env.REDIS_URL || DEFAULT_REDIS_URL;

/** Runs a script with a clean environment plus `env`; resolves { code, stdout, stderr, ms }. */
function runScript(script, args, env, timeoutMs = 15_000) {
  const base = { ...process.env };
  for (const name of ["DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "TEST_REDIS_URL", "FORCE_COLOR"])
    delete base[name];
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(ROOT, script), ...args], {
      cwd: ROOT,
      // Never install anything from here, whatever happens.
      env: { ...base, NO_COLOR: "1", LIVEHALL_SKIP_INSTALL: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function assertOneLineFailure(result, { names, hides = [] }) {
  const output = `${result.stdout}${result.stderr}`.trim();
  const lines = output.split("\n");
  assert.equal(result.code, 1, `exit code 1 expected, got ${result.code}: ${output}`);
  assert.ok(result.ms < 5_000, `took ${result.ms} ms`);
  assert.equal(lines.length, 1, `exactly one line expected:\n${output}`);
  assert.match(lines[0], /^✖ /);
  assert.ok(lines[0].includes(names), `"${lines[0]}" should name ${names}`);
  assert.match(lines[0], /docker compose up -d/);
  for (const secret of hides) assert.ok(!lines[0].includes(secret), "the password must be masked");
  assert.doesNotMatch(output, /^\s+at /m, "no stack trace");
}

describe("describeService", () => {
  test("auto-starts only local servers on the default port", () => {
    const cases = [
      ["postgres", "postgresql://postgres:postgres@127.0.0.1:5432/livehall", true],
      ["postgres", "postgresql://postgres@localhost/livehall", true],
      ["postgres", "postgres://postgres@[::1]:5432/livehall", true],
      ["postgres", "postgresql://postgres@localhost/livehall?host=/var/run/postgresql", true],
      ["postgres", "postgresql://postgres@127.0.0.1:5433/livehall", false],
      ["postgres", "postgresql://postgres@127.0.0.1:1/livehall", false],
      ["postgres", "postgresql://postgres@db.example.com:5432/livehall", false],
      ["redis", "redis://127.0.0.1:6379", true],
      ["redis", "redis://localhost", true],
      ["redis", "redis://[::1]:6379/2", true],
      ["redis", "redis://127.0.0.1:6380", false],
      ["redis", "redis://cache.internal:6379", false],
    ];
    for (const [kind, url, autoStart] of cases) {
      assert.equal(describeService(kind, url, "X").autoStart, autoStart, url);
    }
  });

  test("parses credentials, socket paths and TLS", () => {
    const pg = describeService("postgres", "postgresql://app:p%40ss@localhost/livehall?host=/run/pg", "DATABASE_URL");
    assert.equal(pg.username, "app");
    assert.equal(pg.password, "p@ss");
    assert.equal(pg.socketPath, "/run/pg/.s.PGSQL.5432");
    const redis = describeService("redis", "rediss://default:s3cret@cache:6380", "REDIS_URL");
    assert.equal(redis.tls, true);
    assert.equal(redis.port, 6380);
    assert.equal(redis.redacted, "rediss://default:***@cache:6380");
  });

  test("rejects a malformed URL or a wrong scheme in one line", () => {
    assert.throws(
      () => describeService("postgres", "not a url", "DATABASE_URL"),
      /^UserError: DATABASE_URL is not a valid URL/,
    );
    assert.throws(
      () => describeService("redis", "http://127.0.0.1:6379", "REDIS_URL"),
      /REDIS_URL must start with redis:\/\//,
    );
  });
});

test("redactUrl masks the password only", () => {
  assert.equal(
    redactUrl("postgresql://postgres:secret@127.0.0.1:5433/livehall"),
    "postgresql://postgres:***@127.0.0.1:5433/livehall",
  );
  assert.equal(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  assert.equal(redactUrl("postgresql://u:se cret@h:1/x%"), "postgresql://u:***@h:1/x%");
});

test("testServices: the template is DATABASE_URL's server with database livehall_test, unless TEST_DATABASE_URL says otherwise", () => {
  assert.equal(testServices({}).testDatabaseUrl, "postgresql://postgres:postgres@127.0.0.1:5432/livehall_test");
  assert.equal(
    testServices({ DATABASE_URL: "postgresql://u:p@db:6543/app?sslmode=require" }).testDatabaseUrl,
    "postgresql://u:p@db:6543/livehall_test?sslmode=require",
  );
  const explicit = testServices({
    TEST_DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/other",
    REDIS_URL: "redis://127.0.0.1:6390",
  });
  assert.equal(explicit.testDatabaseUrl, "postgresql://postgres@127.0.0.1:5432/other");
  assert.equal(explicit.postgres.envName, "TEST_DATABASE_URL");
  assert.equal(explicit.redis.envName, "REDIS_URL");
  assert.equal(explicit.redis.port, 6390);
});

describe("probes", () => {
  test("a closed port is unreachable at once", async () => {
    const port = await closedPort();
    const started = Date.now();
    const pg = await probePostgres(
      describeService("postgres", `postgresql://postgres@127.0.0.1:${port}/x`, "DATABASE_URL"),
    );
    const redis = await probeRedis(describeService("redis", `redis://127.0.0.1:${port}`, "REDIS_URL"));
    assert.deepEqual(pg, { state: "unreachable", detail: "connection refused" });
    assert.deepEqual(redis, { state: "unreachable", detail: "connection refused" });
    assert.ok(Date.now() - started < 1_000);
  });

  test("the shared servers answer", async () => {
    assert.equal(
      (await probePostgres(describeService("postgres", reachableDatabaseUrl, "DATABASE_URL"))).state,
      "ready",
    );
    assert.equal((await probeRedis(describeService("redis", reachableRedisUrl, "REDIS_URL"))).state, "ready");
  });

  test("a server of the other kind is not taken for the right one", async () => {
    const postgres = new URL(reachableDatabaseUrl);
    const redis = new URL(reachableRedisUrl);
    const redisOnPgPort = await probeRedis(
      describeService("redis", `redis://${postgres.hostname}:${postgres.port || 5432}`, "REDIS_URL"),
    );
    assert.notEqual(redisOnPgPort.state, "ready");
    const pgOnRedisPort = await probePostgres(
      describeService("postgres", `postgresql://postgres@${redis.hostname}:${redis.port || 6379}/x`, "DATABASE_URL"),
      { timeoutMs: 500 },
    );
    assert.notEqual(pgOnRedisPort.state, "ready");
  });

  test("ensureServices refuses to start anything on a non-default port, in one line per service", async () => {
    const port = await closedPort();
    const target = describeService(
      "postgres",
      `postgresql://postgres:hunter2@127.0.0.1:${port}/livehall`,
      "DATABASE_URL",
    );
    await assert.rejects(ensureServices([target]), (error) => {
      assert.equal(error.name, "UserError");
      assert.equal(
        error.message,
        `Postgres is not reachable at postgresql://postgres:***@127.0.0.1:${port}/livehall (connection refused) — start it, fix DATABASE_URL, or run \`docker compose up -d\`.`,
      );
      return true;
    });
  });
});

describe("start.mjs and test.mjs fail fast on a closed port", () => {
  test("start.mjs --check-services: closed Postgres port", async () => {
    const port = await closedPort();
    const result = await runScript("scripts/start.mjs", ["--check-services"], {
      DATABASE_URL: `postgresql://postgres:hunter2@127.0.0.1:${port}/livehall`,
    });
    assertOneLineFailure(result, { names: `postgresql://postgres:***@127.0.0.1:${port}/livehall`, hides: ["hunter2"] });
    assert.match(result.stderr, /Postgres is not reachable/);
  });

  test("start.mjs --check-services: closed Redis port", async () => {
    const port = await closedPort();
    const result = await runScript("scripts/start.mjs", ["--check-services"], {
      REDIS_URL: `redis://default:hunter2@127.0.0.1:${port}`,
    });
    assertOneLineFailure(result, { names: `redis://default:***@127.0.0.1:${port}`, hides: ["hunter2"] });
    assert.match(result.stderr, /Redis is not reachable/);
  });

  test("npm start (start.mjs without flags) stops before installing or building anything", async () => {
    const port = await closedPort();
    const result = await runScript("scripts/start.mjs", [], {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/x`,
    });
    assertOneLineFailure(result, { names: `postgresql://postgres@127.0.0.1:${port}/x` });
  });

  test("npm test (test.mjs) stops before anything else", async () => {
    const port = await closedPort();
    const result = await runScript("scripts/test.mjs", [], { REDIS_URL: `redis://127.0.0.1:${port}` });
    assertOneLineFailure(result, { names: `redis://127.0.0.1:${port}` });
  });

  test("start.mjs --check-services passes with reachable servers", async () => {
    const result = await runScript("scripts/start.mjs", ["--check-services"], {
      DATABASE_URL: reachableDatabaseUrl,
      REDIS_URL: reachableRedisUrl,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Postgres ready at .* Redis ready at /);
    assert.equal(result.stderr, "");
  });
});
