// Makes sure Postgres and Redis are reachable before `npm start`, `npm run dev` and `npm test`.
// Node built-ins only: this runs before `npm install`.
//
// Policy (docs/decisions/001-two-command-setup.md):
// - a server that answers is used as it is;
// - a server that does not answer is started only when its URL is local (127.0.0.1, localhost,
//   ::1 or a Unix socket) AND on the default port (5432 / 6379): that is the machine's own
//   service. If it is not installed, it is installed with apt-get when running as root on
//   Debian/Ubuntu;
// - anything else fails within seconds with one readable line naming the URL (password masked).
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, TEST_DATABASE_NAME } from "../../packages/db/src/defaults.mjs";
import {
  SBIN,
  aptInstall as aptInstallPackages,
  canInstallWithApt,
  isRoot,
  lastLine,
} from "../../packages/media-server/src/system.mjs";
import { ROOT, UserError, log, run, which } from "./proc.mjs";

export { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL };

const DEFAULT_PORT = { postgres: 5432, redis: 6379 };
const LABEL = { postgres: "Postgres", redis: "Redis" };
const PACKAGE = { postgres: "postgresql", redis: "redis-server" };
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

/** A database or Redis URL with its password hidden, safe for logs and error messages. */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return String(url).replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * What the scripts need to know about one service URL. Throws a UserError for a malformed URL.
 * @param {"postgres" | "redis"} kind
 * @param {string} url
 * @param {string} envName the variable it came from, named in error messages
 */
export function describeService(kind, url, envName) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${envName} is not a valid URL: ${redactUrl(url)}`);
  }
  const schemes = kind === "postgres" ? ["postgresql:", "postgres:"] : ["redis:", "rediss:"];
  if (!schemes.includes(parsed.protocol)) {
    throw new UserError(`${envName} must start with ${schemes.map((s) => `${s}//`).join(" or ")}: ${redactUrl(url)}`);
  }
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORT[kind];
  // node-postgres reads a Unix socket directory from ?host=/path (or an empty host).
  const hostParam = kind === "postgres" ? parsed.searchParams.get("host") : null;
  const socketDir = hostParam?.startsWith("/") ? hostParam : null;
  const host = socketDir ? null : parsed.hostname.replace(/^\[|\]$/g, "") || "localhost";
  const isLocal = socketDir != null || LOCAL_HOSTS.has(host);
  const isDefaultPort = port === DEFAULT_PORT[kind];
  return {
    kind,
    label: LABEL[kind],
    envName,
    url,
    redacted: redactUrl(url),
    host,
    port,
    socketPath: socketDir ? path.join(socketDir, `.s.PGSQL.${port}`) : null,
    tls: parsed.protocol === "rediss:",
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")),
    isLocal,
    isDefaultPort,
    /** Only the machine's own service, on its default port, is ever started or installed. */
    autoStart: isLocal && isDefaultPort,
  };
}

/** The Postgres and Redis targets for `npm start` / `npm run dev`. */
export function appServices(env = process.env) {
  return {
    postgres: describeService("postgres", env.DATABASE_URL || DEFAULT_DATABASE_URL, "DATABASE_URL"),
    redis: describeService("redis", env.REDIS_URL || DEFAULT_REDIS_URL, "REDIS_URL"),
  };
}

/**
 * The targets for `npm test`: the template database (TEST_DATABASE_URL, else DATABASE_URL's
 * server with the database `livehall_test`) and the tests' Redis (TEST_REDIS_URL, else REDIS_URL).
 */
export function testServices(env = process.env) {
  const postgres = env.TEST_DATABASE_URL
    ? describeService("postgres", env.TEST_DATABASE_URL, "TEST_DATABASE_URL")
    : describeService("postgres", env.DATABASE_URL || DEFAULT_DATABASE_URL, "DATABASE_URL");
  const redis = env.TEST_REDIS_URL
    ? describeService("redis", env.TEST_REDIS_URL, "TEST_REDIS_URL")
    : describeService("redis", env.REDIS_URL || DEFAULT_REDIS_URL, "REDIS_URL");
  const testDatabaseUrl = env.TEST_DATABASE_URL || withDatabase(postgres.url, TEST_DATABASE_NAME);
  return { postgres, redis, testDatabaseUrl };
}

// ---------------------------------------------------------------------------------------------
// Probes: one short request over a raw socket, answered or not within `timeoutMs`.

const REASONS = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset",
  ENOENT: "no such socket",
  EACCES: "permission denied",
};

/**
 * Connects, writes `payload`, and collects the answer until `isComplete(buffer)` or the server
 * closes. Resolves `{ ok: true, data }` or `{ ok: false, reason }`; never rejects.
 */
function exchange(target, payload, isComplete, timeoutMs) {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const options = target.socketPath ? { path: target.socketPath } : { host: target.host, port: target.port };
    const socket = target.tls ? tls.connect({ ...options, servername: target.host }) : net.connect(options);
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `no answer within ${timeoutMs / 1000}s` }), timeoutMs);
    socket.once(target.tls ? "secureConnect" : "connect", () => socket.write(payload));
    socket.on("data", (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (isComplete(data)) finish({ ok: true, data });
    });
    socket.on("error", (error) => finish({ ok: false, reason: REASONS[error.code] ?? error.code ?? error.message }));
    socket.on("close", () =>
      finish(data.length ? { ok: true, data } : { ok: false, reason: "closed without answering" }),
    );
  });
}

/**
 * Asks Postgres for a session the way pg_isready does: any authentication request or error other
 * than "cannot connect now" (57P03: starting up, shutting down, recovering) means it accepts
 * connections. Resolves { state: "ready" | "starting" | "unreachable" | "other", detail }.
 */
export async function probePostgres(target, { timeoutMs = 2_000 } = {}) {
  const params = [
    "user",
    target.username || "postgres",
    "database",
    target.database || "postgres",
    "application_name",
    "livehall-check",
  ];
  const body = Buffer.from(`${params.join("\0")}\0\0`, "utf8");
  const startup = Buffer.alloc(8 + body.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196_608, 4); // protocol 3.0
  body.copy(startup, 8);
  const complete = (buf) => buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1);
  const answer = await exchange(target, startup, complete, timeoutMs);
  if (!answer.ok) return { state: "unreachable", detail: answer.reason };
  const { data } = answer;
  const type = String.fromCharCode(data[0]);
  if (type === "R" || type === "v") return { state: "ready" }; // an authentication request / protocol negotiation
  if (type === "E" && complete(data)) {
    const fields = {};
    for (let i = 5; i < data.length && data[i] !== 0;) {
      const end = data.indexOf(0, i + 1);
      fields[String.fromCharCode(data[i])] = data.subarray(i + 1, end).toString("utf8");
      i = end + 1;
    }
    if (fields.C === "57P03") return { state: "starting", detail: fields.M };
    return { state: "ready", detail: fields.M }; // e.g. wrong password or missing database: the server is up
  }
  return { state: "other", detail: "something answered on this port, but not Postgres" };
}

/** RESP encoding of one command, safe for any password. */
function respCommand(...words) {
  return `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`;
}

/**
 * Sends PING (after AUTH when the URL carries credentials) over raw TCP and expects +PONG.
 * Resolves { state: "ready" | "starting" | "unreachable" | "auth" | "other", detail }.
 */
export async function probeRedis(target, { timeoutMs = 2_000 } = {}) {
  const auth = target.password
    ? target.username
      ? respCommand("AUTH", target.username, target.password)
      : respCommand("AUTH", target.password)
    : "";
  const expectedLines = auth ? 2 : 1;
  const complete = (buf) => (buf.toString("utf8").match(/\r\n/g) ?? []).length >= expectedLines;
  const answer = await exchange(target, `${auth}PING\r\n`, complete, timeoutMs);
  if (!answer.ok) return { state: "unreachable", detail: answer.reason };
  const lines = answer.data.toString("utf8").split("\r\n").filter(Boolean);
  const last = lines.at(-1) ?? "";
  if (last === "+PONG") return { state: "ready" }; // an AUTH answer before it may complain harmlessly
  const error = lines.find((line) => line.startsWith("-")) ?? last;
  if (error.startsWith("-LOADING")) return { state: "starting", detail: error.slice(1) };
  if (/^-(NOAUTH|WRONGPASS|ERR invalid password|ERR AUTH)/.test(error))
    return { state: "auth", detail: error.slice(1) };
  if (error.startsWith("-")) return { state: "other", detail: error.slice(1) };
  return { state: "other", detail: "something answered on this port, but not Redis" };
}

export function probe(target, options) {
  return target.kind === "postgres" ? probePostgres(target, options) : probeRedis(target, options);
}

// ---------------------------------------------------------------------------------------------
// Messages: each is one line naming the URL and the way out.

const COMPOSE = "run `docker compose up -d`";

export function unreachableMessage(target, reason) {
  return `${target.label} is not reachable at ${target.redacted}${reason ? ` (${reason})` : ""} — start it, fix ${target.envName}, or ${COMPOSE}.`;
}

function answerMessage(target, result) {
  if (result.state === "auth") {
    return `${target.label} at ${target.redacted} refused the credentials (${result.detail}) — put the right password in ${target.envName}.`;
  }
  return `${target.label} is not usable at ${target.redacted} (${result.detail}) — fix ${target.envName}, or ${COMPOSE}.`;
}

// ---------------------------------------------------------------------------------------------
// Starting and installing local services.

/** Postgres clusters known to postgresql-common: [{ version, name, port }], newest version first. */
function postgresClusters() {
  const base = "/etc/postgresql";
  if (!existsSync(base)) return [];
  const clusters = [];
  for (const version of readdirSync(base)) {
    let names = [];
    try {
      names = readdirSync(path.join(base, version));
    } catch {
      continue;
    }
    for (const name of names) {
      const conf = path.join(base, version, name, "postgresql.conf");
      if (!existsSync(conf)) continue;
      const match = /^\s*port\s*=\s*(\d+)/m.exec(readFileSync(conf, "utf8"));
      clusters.push({ version, name, port: match ? Number(match[1]) : 5432 });
    }
  }
  return clusters.sort((a, b) => Number.parseFloat(b.version) - Number.parseFloat(a.version));
}

function installedPostgresVersions() {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((version) => existsSync(path.join(base, version, "bin", "postgres")))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
}

export function isInstalled(kind) {
  if (kind === "redis") return which("redis-server", SBIN) != null;
  return (
    which("pg_ctlcluster", SBIN) != null && (postgresClusters().length > 0 || installedPostgresVersions().length > 0)
  );
}

function cacheDir(...parts) {
  const dir = path.join(ROOT, ".cache", ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function aptInstall(targets) {
  return aptInstallPackages(
    targets.map((t) => PACKAGE[t.kind]),
    {
      logFile: path.join(cacheDir(), "apt-install.log"),
      wayOut: `install them yourself, or ${COMPOSE}`,
      log: log.step,
    },
  );
}

/** Runs a command as the `postgres` OS user (directly when we already are that user). */
function asPostgres(command, args, options) {
  if (isRoot()) return run("runuser", ["-u", "postgres", "--", command, ...args], options);
  return run(command, args, options);
}

async function startPostgres(target, { fresh }) {
  let cluster =
    postgresClusters().find((c) => c.port === target.port) ?? postgresClusters().find((c) => c.name === "main");
  let created = fresh;
  if (!cluster) {
    const version = installedPostgresVersions()[0];
    if (!version || !isRoot()) {
      throw new UserError(
        `Postgres is installed but has no cluster to serve ${target.redacted} — create one (pg_createcluster <version> main), fix ${target.envName}, or ${COMPOSE}.`,
      );
    }
    log.step(`Creating the Postgres ${version} cluster "main"…`);
    const result = await run(
      which("pg_createcluster", SBIN) ?? "pg_createcluster",
      [version, "main", "--port", String(target.port)],
      { capture: true },
    );
    if (result.code !== 0)
      throw new UserError(unreachableMessage(target, `pg_createcluster failed: ${lastLine(result.output)}`));
    cluster = { version, name: "main", port: target.port };
    created = true;
  }
  log.step(`Starting the local Postgres (pg_ctlcluster ${cluster.version} ${cluster.name} start)…`);
  const result = await run(
    which("pg_ctlcluster", SBIN) ?? "pg_ctlcluster",
    ["--skip-systemctl-redirect", cluster.version, cluster.name, "start"],
    { capture: true },
  );
  // "already running" is a success for us: someone else started it meanwhile.
  if (result.code !== 0 && !/already running/i.test(result.output)) {
    throw new UserError(
      unreachableMessage(
        target,
        `pg_ctlcluster could not start it: ${lastLine(result.output) || `exit ${result.code}`}`,
      ),
    );
  }
  return { created, cluster };
}

/**
 * On a cluster we just created, Debian asks TCP clients for a password the `postgres` role does not
 * have yet: give the URL's user the URL's password (creating the role if needed), so the default
 * DATABASE_URL works as is. Never done to a cluster that existed before.
 */
async function setPasswordOnNewCluster(target, cluster) {
  if (!target.password) return;
  const user = target.username || "postgres";
  const ident = `"${user.replaceAll('"', '""')}"`;
  const literal = `'${target.password.replaceAll("'", "''")}'`;
  const sql = [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${`'${user.replaceAll("'", "''")}'`}) THEN CREATE ROLE ${ident} LOGIN SUPERUSER; END IF; END $$;`,
    `ALTER ROLE ${ident} PASSWORD ${literal};`,
  ].join("\n");
  const result = await asPostgres(
    "psql",
    ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", String(cluster.port), "-d", "postgres", "-f", "-"],
    {
      capture: true,
      input: sql,
      cwd: "/",
    },
  );
  if (result.code !== 0)
    log.warn(`Could not set the password of role ${user} on the new cluster: ${lastLine(result.output)}`);
}

async function startRedis(target) {
  // The machine's usual layout when we may write to it, else a folder of our own.
  const systemDirs = isRoot() && existsSync("/var/lib/redis");
  const dir = systemDirs ? "/var/lib/redis" : cacheDir("redis");
  if (systemDirs) mkdirSync("/var/log/redis", { recursive: true });
  const logfile = systemDirs ? "/var/log/redis/ci.log" : path.join(dir, "redis.log");
  const common = [
    "--daemonize",
    "yes",
    "--port",
    String(target.port),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--logfile",
    logfile,
  ];
  const server = which("redis-server", SBIN) ?? "redis-server";
  log.step(`Starting the local Redis (redis-server on port ${target.port}, nothing kept on disk)…`);
  let result = await run(server, ["--bind", "127.0.0.1", "-::1", ...common], { capture: true });
  if (result.code !== 0) {
    // Redis before 7 does not know the optional "-::1" bind address.
    result = await run(server, ["--bind", "127.0.0.1", ...common], { capture: true });
  }
  if (result.code !== 0) {
    throw new UserError(
      unreachableMessage(
        target,
        `redis-server could not start: ${lastLine(result.output) || `exit ${result.code}`}; see ${logfile}`,
      ),
    );
  }
  return { logfile };
}

async function waitUntilReady(target, timeoutMs, hint = "") {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe(target, { timeoutMs: 1_000 });
    if (last.state === "ready") return;
    if (last.state === "auth" || last.state === "other") throw new UserError(answerMessage(target, last));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new UserError(
    unreachableMessage(
      target,
      `still not answering ${timeoutMs / 1000}s after starting it${last?.detail ? `: ${last.detail}` : ""}${hint}`,
    ),
  );
}

/**
 * Makes every target reachable, or throws a UserError whose message is one line per unusable
 * service (normally exactly one line). Fast when all answer: one round trip each, in parallel.
 * @param {ReturnType<typeof describeService>[]} targets
 * @returns {Promise<{ target: object, action: "ready" | "started" | "installed" }[]>}
 */
export async function ensureServices(targets, { allowStart = true, timeoutMs = 2_000 } = {}) {
  const probes = await Promise.all(targets.map((target) => probe(target, { timeoutMs })));
  const outcome = new Map(targets.map((t) => [t, "ready"]));
  const problems = [];
  const toStart = [];
  const toWait = [];
  targets.forEach((target, i) => {
    const result = probes[i];
    if (result.state === "ready") return;
    if (result.state === "starting") toWait.push(target);
    else if (result.state === "unreachable" && allowStart && target.autoStart) toStart.push(target);
    else if (result.state === "unreachable") problems.push(unreachableMessage(target, result.detail));
    else problems.push(answerMessage(target, result));
  });
  if (problems.length) throw new UserError(problems.join("\n"));

  const missing = toStart.filter((t) => !isInstalled(t.kind));
  if (missing.length) {
    if (!canInstallWithApt()) {
      throw new UserError(
        missing
          .map(
            (t) =>
              `${t.label} is not reachable at ${t.redacted} and is not installed — install it (apt-get install -y ${PACKAGE[t.kind]}), fix ${t.envName}, or ${COMPOSE}.`,
          )
          .join("\n"),
      );
    }
    await aptInstall(missing);
    for (const t of missing) outcome.set(t, "installed");
  }

  for (const target of toStart) {
    const fresh = missing.includes(target);
    // apt may have started it already.
    const running = (await probe(target, { timeoutMs })).state === "ready";
    if (target.kind === "postgres") {
      let created = fresh;
      let cluster = postgresClusters().find((c) => c.port === target.port);
      if (!running) {
        ({ created, cluster } = await startPostgres(target, { fresh }));
        await waitUntilReady(target, 30_000);
      }
      if (created && cluster) await setPasswordOnNewCluster(target, cluster);
    } else if (!running) {
      const { logfile } = await startRedis(target);
      await waitUntilReady(target, 15_000, `; see ${logfile}`);
    }
    if (outcome.get(target) === "ready") outcome.set(target, "started");
  }
  for (const target of toWait) await waitUntilReady(target, 30_000);
  return targets.map((target) => ({ target, action: outcome.get(target) }));
}
