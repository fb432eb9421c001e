// Small system helpers shared by the repository scripts (scripts/lib: Postgres and Redis) and this
// package (Janus): finding programs, running them, installing Debian packages with apt-get.
// Node built-ins only: `npm start` imports this before `npm install`.
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/** An error whose message is meant for the user as is: printed as one line, never with a stack. */
export class UserError extends Error {
  name = "UserError";
}

/** Where root's programs live when PATH leaves them out (ip, apt-get, pg_ctlcluster…). */
export const SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

export const isRoot = () => process.getuid?.() === 0;

/** An executable on PATH (or one of `extraDirs`), or null. */
export function which(command, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The last non-empty line of a command's output ("" when there is none). */
export function lastLine(output) {
  return (output ?? "").trim().split("\n").filter(Boolean).at(-1)?.trim() ?? "";
}

/**
 * Runs a command to its end with its output captured (stdout and stderr together); resolves
 * { code, output }, never rejects (a missing program is code 127).
 */
export function capture(command, args = [], { env = process.env, timeoutMs = 0 } = {}) {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout ?? ""}${stderr ?? ""}`;
      if (!error) return resolve({ code: 0, output });
      const code = typeof error.code === "number" ? error.code : error.code === "ENOENT" ? 127 : 1;
      resolve({ code, output: output || error.message });
    });
  });
}

/** Whether missing system packages may be installed here: root on Debian/Ubuntu with apt-get. */
export function canInstallWithApt() {
  return isRoot() && existsSync("/etc/debian_version") && which("apt-get", SBIN) != null;
}

/**
 * `apt-get update && apt-get install -y <packages>`, the full output kept in `logFile`. Throws a
 * one-line UserError naming the packages, apt's last line, the log file and `wayOut` (what the
 * user can do instead) when it fails.
 * @param {string[]} packages
 * @param {{ logFile: string, wayOut: string, log?: (text: string) => void }} options
 */
export async function aptInstall(packages, { logFile, wayOut, log = console.log }) {
  const names = packages.join(" and ");
  log(`Installing ${names} with apt-get (running as root; this takes a minute or two)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = which("apt-get", SBIN) ?? "apt-get";
  const update = await capture(apt, ["update"], { env });
  const install = update.code === 0 ? await capture(apt, ["install", "-y", ...packages], { env }) : update;
  mkdirSync(path.dirname(logFile), { recursive: true });
  writeFileSync(logFile, `${update.output}\n${install === update ? "" : install.output}`);
  if (install.code !== 0) {
    throw new UserError(
      `apt-get could not install ${names} (${lastLine(install.output) || `exit ${install.code}`}; full log in ${path.relative(process.cwd(), logFile)}) — ${wayOut}.`,
    );
  }
}
