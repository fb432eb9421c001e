// Steps shared by `npm start`, `npm run dev` and `npm test`. Node built-ins only.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { defaultHost } from "../../packages/db/src/defaults.mjs";
import { ROOT, UserError, log, run, seconds } from "./proc.mjs";

export const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
export const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

/** Environment for every child: no turbo telemetry (the scripts send nothing off the machine). */
export function childEnv(extra = {}) {
  return { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", ...extra };
}

/**
 * "missing" (no node_modules), "stale" (package-lock.json changed since the last install) or
 * "ok". npm writes node_modules/.package-lock.json at the end of every install.
 */
export function dependencyState(root = ROOT) {
  const modules = path.join(root, "node_modules");
  if (!existsSync(modules)) return "missing";
  const hidden = path.join(modules, ".package-lock.json");
  const lock = path.join(root, "package-lock.json");
  if (!existsSync(hidden)) return "stale";
  if (existsSync(lock) && statSync(lock).mtimeMs > statSync(hidden).mtimeMs) return "stale";
  return "ok";
}

/** Installs dependencies when needed; returns what it did ("up to date", "npm ci", "npm install"). */
export async function ensureDependencies({ env = childEnv() } = {}) {
  if (process.env.LIVEHALL_SKIP_INSTALL === "1") return "skipped (LIVEHALL_SKIP_INSTALL=1)";
  const state = dependencyState();
  if (state === "ok") return "up to date";
  const lock = path.join(ROOT, "package-lock.json");
  const command = state === "missing" && existsSync(lock) ? "ci" : "install";
  log.step(
    state === "missing"
      ? `Installing dependencies (npm ${command})…`
      : `package-lock.json changed since the last install: updating dependencies (npm ${command})…`,
  );
  // --include=dev: the build needs the dev dependencies even when NODE_ENV=production is set.
  const result = await run(NPM, [command, "--no-audit", "--no-fund", "--include=dev"], { env });
  if (result.code !== 0) throw new UserError(`npm ${command} failed (exit ${result.code}) — see its output above.`);
  // Do not reinstall next time if npm rewrote package-lock.json after its hidden copy.
  const hidden = path.join(ROOT, "node_modules", ".package-lock.json");
  if (existsSync(hidden) && existsSync(lock) && statSync(lock).mtimeMs > statSync(hidden).mtimeMs) {
    const now = new Date();
    utimesSync(hidden, now, now);
  }
  return `npm ${command}`;
}

/** Runs one preparation command; throws a one-line UserError when it fails. */
export async function runStep(title, command, args, { env = childEnv() } = {}) {
  log.step(title);
  const started = Date.now();
  const result = await run(command, args, { env });
  if (result.code !== 0) {
    throw new UserError(
      `${title.replace(/…$/, "")} failed (\`${[path.basename(command), ...args].join(" ")}\` exited with ${result.signal ?? `code ${result.code}`}) — see its output above.`,
    );
  }
  return Date.now() - started;
}

/**
 * A secret for production mode on a developer machine: the environment's variable `name` when set,
 * else one generated once and kept in .cache/<fileName> (git-ignored), so it survives restarts.
 */
export function localSecret(name, fileName) {
  if (process.env[name]) return { secret: process.env[name], generated: false };
  const dir = path.join(ROOT, ".cache");
  const file = path.join(dir, fileName);
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (secret.length >= 32) return { secret, generated: false, file };
  }
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secret, generated: true, file };
}

/** AUTH_SECRET for production mode: the environment's, else .cache/auth-secret (sign-ins survive restarts). */
export function localAuthSecret() {
  return localSecret("AUTH_SECRET", "auth-secret");
}

/** Where the web server listens, and the address a browser on the same host should open. */
export function webAddress(env = process.env) {
  const port = Number(env.PORT || 3000);
  const host = env.HOST || defaultHost(env.NODE_ENV);
  const wildcard = ["0.0.0.0", "::", "[::]", ""].includes(host);
  const connectHost = wildcard ? "127.0.0.1" : host.replace(/^\[|\]$/g, "");
  const shownHost =
    wildcard || host === "127.0.0.1" ? "localhost" : host.includes(":") ? `[${host.replace(/^\[|\]$/g, "")}]` : host;
  return { port, host, connectHost, url: `http://${shownHost}:${port}` };
}

/** Whether nothing listens on host:port (tried by listening there for a moment). */
export function isPortFree({ port, host }) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error) => resolve(error.code !== "EADDRINUSE"));
    server.listen({ port, host: ["", "[::]"].includes(host) ? undefined : host }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/** Fails early, with one line, when something else already listens on the web port. */
export async function assertPortFree({ port, host }) {
  if (!port) return;
  if (!(await isPortFree({ port, host })))
    throw new UserError(`Port ${port} is already in use — stop what is listening there, or set PORT to another port.`);
}

/** Resolves true once something accepts TCP connections on host:port, false after `timeoutMs` or when `cancelled()`. */
export async function waitForPort(host, port, { timeoutMs = 120_000, cancelled = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const open = await new Promise((resolve) => {
      const socket = net.connect({ host, port });
      socket.setTimeout(1_000);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

/**
 * Demo mode: the operator gave no AUTH_SECRET (start then generates a local one). Only in demo mode
 * does start seed the demo accounts, whose password is published; with the operator's own secret it
 * is a real deployment and no demo account is created.
 */
export function demoMode(env = process.env) {
  return !env.AUTH_SECRET;
}

/** What start's banner says about demo data, uncoloured. */
export function demoNotice(demo) {
  if (!demo) return ["  AUTH_SECRET is set: not demo mode, so no demo accounts or demo data were created."];
  return [
    "  Demo mode (no AUTH_SECRET set): demo data and these demo logins,",
    `  password ${DEMO_PASSWORD}, for local use only:`,
    ...DEMO_LOGINS.map(([email, role]) => `    ${email.padEnd(26)}${role}`),
  ];
}

export const DEMO_LOGINS = [
  ["admin@livehall.dev", "admin"],
  ["instructor@livehall.dev", "instructor"],
  ["student@livehall.dev", "student"],
];
export const DEMO_PASSWORD = "livehall-demo";

export function elapsed(startedAt) {
  return seconds(Date.now() - startedAt);
}
