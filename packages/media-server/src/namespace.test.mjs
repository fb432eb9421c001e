// The media namespace harness (bin/in-media-namespace.mjs). Needs root, unshare and ip: on a
// machine without them these tests fail with the harness's one-line reason (never skipped).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { capture } from "./system.mjs";
import { mediaNamespaceEnv, socketDatabaseUrl } from "./namespace.mjs";
import { until } from "./fixtures.mjs";

const CLI = fileURLToPath(new URL("../bin/in-media-namespace.mjs", import.meta.url));
const INDEX = new URL("./index.mjs", import.meta.url).href;
const DATABASE_URL = process.env.TEST_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";

/** Runs the CLI; resolves { code, stdout, stderr }. */
function runCli(args, { env = {}, command = process.execPath, prefix = [] } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, [...prefix, CLI, ...args], {
      env: { ...process.env, TEST_DATABASE_URL: DATABASE_URL, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every process's network namespace ("net:[…]"), to find what still lives in one. */
function namespacesInUse() {
  const inUse = new Set();
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      inUse.add(readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      /* gone meanwhile */
    }
  }
  return inUse;
}

const interfaces = (ipLink) =>
  ipLink
    .trim()
    .split("\n")
    .map((line) => line.split(":")[1].trim().split("@")[0]);

describe("in-media-namespace", () => {
  test("runs the command in a private namespace with veth, its own Redis and Postgres over the socket", async () => {
    const outside = await capture("ip", ["-o", "link"]);
    const outsideAddresses = await capture("ip", ["-o", "-4", "addr"]);
    const script = [
      "ip -o link",
      "echo ---",
      "ip -o -4 addr",
      "echo ---",
      "ip route show default",
      "echo ---",
      'redis-cli -u "$REDIS_URL" ping',
      "echo ---",
      'psql "$TEST_DATABASE_URL" -XAtc "select current_database()"',
      "echo ---",
      'echo "$MEDIA_ICE_INTERFACE $MEDIA_HOST_ADDRESS $MEDIA_PEER_ADDRESS $LIVEHALL_MEDIA_NAMESPACE $REDIS_URL"',
      'echo "$TEST_DATABASE_URL"',
      "echo ---",
      "readlink /proc/self/ns/net",
    ].join("; ");
    const result = await runCli(["sh", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    const [link, addr, route, redis, postgres, env, ns] = result.stdout.split("---\n").map((part) => part.trim());

    assert.deepEqual(interfaces(link).sort(), ["lo", "va", "vb"]);
    for (const name of interfaces(outside.output).filter((n) => n !== "lo"))
      assert.ok(!interfaces(link).includes(name), `the machine's ${name} must not be visible inside`);
    assert.match(addr, /\bva\s+inet 10\.77\.0\.1\/24/);
    assert.match(addr, /\bvb\s+inet 10\.77\.0\.2\/24/);
    for (const [, address] of outsideAddresses.output.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g))
      if (address !== "127.0.0.1") assert.ok(!addr.includes(`inet ${address}/`), `${address} must not be inside`);

    assert.match(route, /^default dev va\b/);

    assert.equal(redis, "PONG");
    assert.equal(postgres, new URL(DATABASE_URL).pathname.slice(1));
    const [vars, databaseUrl] = env.split("\n");
    assert.equal(vars, "va 10.77.0.1 10.77.0.2 1 redis://127.0.0.1:6379");
    assert.match(databaseUrl, /@localhost(:5432)?\/[^?]+\?host=\/(var\/)?run\/postgresql$|\?host=\/tmp$/);

    // When the command has ended, nothing is left in its namespace (so the namespace is gone).
    assert.match(ns, /^net:\[\d+\]$/);
    assert.ok(!namespacesInUse().has(ns), `${ns} is still in use`);
    assert.ok(namespacesInUse().has(readlinkSync("/proc/self/ns/net")), "the machine's namespace is unchanged");
  });

  test("Janus started inside uses va: its local IP is 10.77.0.1", async () => {
    const script = `
      import { mkdtempSync } from "node:fs";
      import { tmpdir } from "node:os";
      import path from "node:path";
      import { createJanusSupervisor, ensureJanusInstalled, janusConfigFiles, janusInfo, localJanusOptions, mediaSettings } from ${JSON.stringify(INDEX)};
      const janus = await ensureJanusInstalled();
      const options = localJanusOptions(mediaSettings());
      const supervisor = createJanusSupervisor({
        dir: mkdtempSync(path.join(tmpdir(), "lh-ns-janus-")),
        files: janusConfigFiles({ ...options, libDir: janus.libDir }),
        janusPath: janus.path,
        apiUrl: options.apiUrl,
        log: () => {},
      });
      await supervisor.start();
      const info = await janusInfo(options.apiUrl);
      console.log(JSON.stringify({ localIp: info["local-ip"], iceInterface: options.iceInterface }));
      await supervisor.stop();`;
    const result = await runCli([process.execPath, "--input-type=module", "-e", script]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { localIp: "10.77.0.1", iceInterface: "va" });
  });

  test("exits with the command's exit code", async () => {
    assert.equal((await runCli(["sh", "-c", "exit 7"])).code, 7);
    assert.equal((await runCli(["true"])).code, 0);
  });

  test("a killed harness leaves nothing running", async () => {
    const child = spawn(process.execPath, [CLI, "sh", "-c", "readlink /proc/self/ns/net; exec sleep 600"], {
      env: { ...process.env, TEST_DATABASE_URL: DATABASE_URL },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    const ns = await until(() => /net:\[\d+\]/.exec(stdout)?.[0], { what: "the command's namespace" });
    assert.ok(namespacesInUse().has(ns));
    child.kill("SIGKILL");
    await until(() => !namespacesInUse().has(ns), { what: `the processes in ${ns} to end` });
  });

  test("says in one line what is missing when it cannot make a namespace", async () => {
    const nobody = await runCli(["true"], {
      command: "setpriv",
      prefix: ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath],
    });
    assert.equal(nobody.code, 1);
    assert.equal(nobody.stdout, "");
    assert.match(nobody.stderr, /^✖ Not running as root — media suites need a private network namespace[^\n]*\n$/);

    // unshare lives in /usr/bin, outside the sbin folders searched besides PATH.
    const noUnshare = await runCli(["true"], { env: { PATH: "/nonexistent" } });
    assert.equal(noUnshare.code, 1);
    assert.match(noUnshare.stderr, /^✖ unshare(, redis-server)? not found — media suites need[^\n]*\n$/);
  });
});

describe("mediaNamespaceEnv", () => {
  const socketDirs = ["/var/run/postgresql", "/run/postgresql", "/tmp"];
  test("points the databases at the Unix socket and Redis at the namespace's own", () => {
    const env = mediaNamespaceEnv(
      {
        TEST_DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/livehall_test_x",
        DATABASE_URL: "postgresql://postgres:pw@localhost/livehall",
        REDIS_URL: "redis://127.0.0.1:6380",
        TEST_REDIS_URL: "redis://127.0.0.1:6381",
        KEEP: "me",
      },
      { socketDirs },
    );
    assert.match(env.TEST_DATABASE_URL, /^postgresql:\/\/postgres@localhost:5432\/livehall_test_x\?host=\/\S+$/);
    assert.match(env.DATABASE_URL, /^postgresql:\/\/postgres:pw@localhost\/livehall\?host=\/\S+$/);
    assert.equal(env.REDIS_URL, "redis://127.0.0.1:6379");
    assert.equal(env.TEST_REDIS_URL, "redis://127.0.0.1:6379");
    assert.equal(env.MEDIA_ICE_INTERFACE, "va");
    assert.equal(env.LIVEHALL_MEDIA_NAMESPACE, "1");
    assert.equal(env.KEEP, "me");
  });

  test("refuses a database on another machine, or with no socket", () => {
    assert.throws(
      () => mediaNamespaceEnv({ TEST_DATABASE_URL: "postgresql://u@db.example.org/x" }, { socketDirs }),
      /TEST_DATABASE_URL must point at this machine's Postgres/,
    );
    assert.throws(() => socketDatabaseUrl("postgresql://u@127.0.0.1:5432/x", "X", ["/nonexistent"]), /No Unix socket/);
    assert.equal(socketDatabaseUrl("postgresql://u@h/x?host=/sock", "X"), "postgresql://u@h/x?host=/sock");
  });
});
