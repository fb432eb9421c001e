// The network namespace media tests run in. Janus never gathers ICE candidates on `lo`, so in the
// machine's own namespace it would offer (and send media to) the external address. Inside a
// private namespace there is only loopback and a veth pair (va 10.77.0.1 ⇄ vb 10.77.0.2, the
// default route on va): media between Janus and a browser stays in it. Node built-ins only.
//
// Layout: in-media-namespace (this process) → setpriv --pdeathsig SIGKILL → unshare --net --pid
// --fork --mount-proc --kill-child → node namespace-inside.mjs (PID 1 of its own PID namespace:
// sets up the links, starts a private Redis, runs the command). When PID 1 ends, the kernel kills
// whatever is left inside and the namespace disappears with it: nothing outlives a run, even a
// SIGKILLed one, and nothing needs cleaning up before the next.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_DATABASE_URL, TEST_DATABASE_NAME } from "../../db/src/defaults.mjs";
import { SBIN, UserError, capture, isRoot, which } from "./system.mjs";

export const MEDIA_NAMESPACE = Object.freeze({
  /** Janus's side of the veth pair (MEDIA_ICE_INTERFACE inside). */
  hostInterface: "va",
  hostAddress: "10.77.0.1",
  /** The browser's side. */
  peerInterface: "vb",
  peerAddress: "10.77.0.2",
  prefixLength: 24,
  redisPort: 6379,
});

const INSIDE = fileURLToPath(new URL("./namespace-inside.mjs", import.meta.url));
const NEED =
  "media suites need a private network namespace: run them as root on Linux with unshare (util-linux), ip (iproute2) and redis-server installed";

/** Why no media namespace can be made here (one line), or null when it can. */
export async function namespaceProblem() {
  if (process.platform !== "linux") return `This is ${process.platform}, not Linux — ${NEED}.`;
  if (!isRoot()) return `Not running as root — ${NEED}.`;
  const missing = ["unshare", "ip", "redis-server"].filter((program) => !which(program, SBIN));
  if (missing.length) return `${missing.join(", ")} not found — ${NEED}.`;
  // Containers without CAP_SYS_ADMIN refuse it even to root: try it.
  const unshare = which("unshare", SBIN);
  const trial = await capture(unshare, ["--net", "--pid", "--fork", "--mount-proc", "--kill-child", "true"], {
    timeoutMs: 10_000,
  });
  if (trial.code !== 0)
    return `unshare cannot create namespaces here (${trial.output.trim().split("\n").at(-1) || `exit ${trial.code}`}) — ${NEED}.`;
  return null;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const SOCKET_DIRS = ["/var/run/postgresql", "/run/postgresql", "/tmp"];

/**
 * A Postgres URL on this machine rewritten to reach the same server and database through its Unix
 * socket (inside the namespace, 127.0.0.1 is the namespace's own loopback). Throws a UserError for
 * a server elsewhere (unreachable from inside) or when no socket is found.
 */
export function socketDatabaseUrl(url, envName, socketDirs = SOCKET_DIRS) {
  const parsed = new URL(url);
  if (parsed.searchParams.get("host")?.startsWith("/")) return url;
  if (!LOCAL_HOSTS.has(parsed.hostname))
    throw new UserError(
      `${envName} must point at this machine's Postgres (${parsed.hostname} cannot be reached from inside the media namespace).`,
    );
  const port = parsed.port || "5432";
  const socketDir = socketDirs.find((dir) => existsSync(path.join(dir, `.s.PGSQL.${port}`)));
  if (!socketDir)
    throw new UserError(
      `No Unix socket of the Postgres on port ${port} in ${socketDirs.join(", ")} — media tests reach Postgres through it (unix_socket_directories in postgresql.conf).`,
    );
  parsed.hostname = "localhost";
  parsed.searchParams.delete("host");
  // Written out rather than percent-encoded: ?host=/var/run/postgresql, as libpq and pg read it.
  const query = parsed.searchParams.toString();
  parsed.search = "";
  return `${parsed.toString()}?${query ? `${query}&` : ""}host=${socketDir}`;
}

/**
 * The environment of the command run inside: the private Redis, Postgres through its socket, and
 * the namespace's addresses. Throws a UserError when the database cannot be reached from inside.
 */
export function mediaNamespaceEnv(env = process.env, { socketDirs } = {}) {
  const redisUrl = `redis://127.0.0.1:${MEDIA_NAMESPACE.redisPort}`;
  const testDatabaseUrl =
    env.TEST_DATABASE_URL ||
    (() => {
      const url = new URL(env.DATABASE_URL || DEFAULT_DATABASE_URL);
      url.pathname = `/${TEST_DATABASE_NAME}`;
      return url.toString();
    })();
  const inside = {
    ...env,
    REDIS_URL: redisUrl,
    TEST_DATABASE_URL: socketDatabaseUrl(
      testDatabaseUrl,
      env.TEST_DATABASE_URL ? "TEST_DATABASE_URL" : "DATABASE_URL",
      socketDirs,
    ),
    MEDIA_ICE_INTERFACE: MEDIA_NAMESPACE.hostInterface,
    MEDIA_HOST_ADDRESS: MEDIA_NAMESPACE.hostAddress,
    MEDIA_PEER_ADDRESS: MEDIA_NAMESPACE.peerAddress,
    LIVEHALL_MEDIA_NAMESPACE: "1",
  };
  if (env.DATABASE_URL) inside.DATABASE_URL = socketDatabaseUrl(env.DATABASE_URL, "DATABASE_URL", socketDirs);
  if (env.TEST_REDIS_URL) inside.TEST_REDIS_URL = redisUrl;
  return inside;
}

/** 130 for SIGINT, 143 for SIGTERM…: how shells report a command ended by a signal. */
function exitCodeOf(code, signal) {
  if (code != null) return code;
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (numbers[signal] ?? 1);
}

/**
 * Runs `command args…` inside a new media namespace and resolves its exit code. Call
 * namespaceProblem() first. SIGINT/SIGTERM to this process reach everything inside (a second one
 * kills it all).
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, stdio?: import("node:child_process").StdioOptions }} [options]
 */
export function runInMediaNamespace(command, args = [], { env = process.env, stdio = "inherit" } = {}) {
  const inside = mediaNamespaceEnv(env);
  const unshare = which("unshare", SBIN) ?? "unshare";
  const setpriv = which("setpriv", SBIN);
  const unshareArgs = [
    "--net",
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
    "--",
    process.execPath,
    INSIDE,
    command,
    ...args,
  ];
  const [program, programArgs] = setpriv
    ? [setpriv, ["--pdeathsig", "SIGKILL", "--", unshare, ...unshareArgs]]
    : [unshare, unshareArgs];
  return new Promise((resolve) => {
    // Its own process group: a signal is passed to everything inside at once, exactly once.
    const child = spawn(program, programArgs, { env: inside, stdio, detached: true });
    let signals = 0;
    const forward = (signal) => {
      signals += 1;
      try {
        process.kill(-child.pid, signals > 1 ? "SIGKILL" : signal);
      } catch {
        /* already gone */
      }
    };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    const done = (code) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code);
    };
    child.on("error", (error) => {
      console.error(`✖ Could not start ${program}: ${error.message}`);
      done(1);
    });
    child.on("close", (code, signal) => done(exitCodeOf(code, signal)));
  });
}

function run(program, args) {
  return capture(which(program, SBIN) ?? program, args).then(({ code, output }) => {
    if (code !== 0) throw new Error(`${program} ${args.join(" ")} failed: ${output.trim()}`);
  });
}

function redisAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let data = "";
    const finish = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.includes("\r\n")) finish(data.startsWith("+PONG"));
    });
    socket.once("error", () => finish(false));
  });
}

/**
 * Inside the new namespace (PID 1): loopback and the veth pair up, a private Redis on
 * 127.0.0.1:6379 (nothing on disk), then the command; resolves its exit code after stopping Redis.
 */
export async function runInside(command, args) {
  const { hostInterface, hostAddress, peerInterface, peerAddress, prefixLength, redisPort } = MEDIA_NAMESPACE;
  await run("ip", ["link", "set", "lo", "up"]);
  await run("ip", ["link", "add", hostInterface, "type", "veth", "peer", "name", peerInterface]);
  await run("ip", ["addr", "add", `${hostAddress}/${prefixLength}`, "dev", hostInterface]);
  await run("ip", ["addr", "add", `${peerAddress}/${prefixLength}`, "dev", peerInterface]);
  await run("ip", ["link", "set", hostInterface, "up"]);
  await run("ip", ["link", "set", peerInterface, "up"]);
  // A default route through va, so that programs asking "which address would I use outside?"
  // (Janus's local IP, Chromium's default address) get 10.77.0.1 instead of none. It leads nowhere:
  // the namespace has no other link, so nothing can leave it.
  await run("ip", ["route", "add", "default", "dev", hostInterface]);

  const redisDir = mkdtempSync(path.join(tmpdir(), "lh-media-redis-"));
  const redisArgs = ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const redis = spawn(which("redis-server", SBIN) ?? "redis-server", [...redisArgs, "--dir", redisDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let redisOutput = "";
  redis.stdout.on("data", (chunk) => (redisOutput += chunk));
  redis.stderr.on("data", (chunk) => (redisOutput += chunk));
  const redisExited = new Promise((resolve) => redis.once("close", resolve));
  const deadline = Date.now() + 15_000;
  while (!(await redisAnswers(redisPort))) {
    if (redis.exitCode !== null || Date.now() > deadline) {
      redis.kill("SIGKILL");
      rmSync(redisDir, { recursive: true, force: true });
      throw new Error(`the namespace's Redis did not start: ${redisOutput.trim().split("\n").at(-1) ?? ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // A signal for the whole run reaches the command directly (same process group); PID 1 only
  // needs handlers so that it is not ignored-and-lost, and waits for the command to end.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
  const code = await new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("error", (error) => {
      console.error(`✖ Could not start ${command} inside the media namespace: ${error.message}`);
      resolve(127);
    });
    child.on("close", (exitCode, signal) => resolve(exitCodeOf(exitCode, signal)));
  });
  redis.kill("SIGTERM");
  await redisExited;
  rmSync(redisDir, { recursive: true, force: true });
  return code;
}
