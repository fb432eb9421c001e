// Starting one Janus process and waiting until it answers. Node built-ins only.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SECRET_FILES } from "./config.mjs";
import { SBIN, which } from "./system.mjs";

/** Writes `{ [fileName]: contents }` into `dir` (created if needed); files with secrets are 0600. */
export function writeJanusConfig(dir, files) {
  mkdirSync(dir, { recursive: true });
  for (const [name, contents] of Object.entries(files)) {
    if (name !== path.basename(name)) throw new Error(`Janus configuration: "${name}" is not a file name`);
    const file = path.join(dir, name);
    const mode = SECRET_FILES.includes(name) ? 0o600 : 0o644;
    writeFileSync(file, contents, { mode });
    chmodSync(file, mode);
  }
}

/**
 * Starts `janus -F <dir> -C <dir>/janus.jcfg` (after writing `files` there, when given) and returns
 * the child process, its output piped. It runs in its own process group, so a Ctrl-C meant for its
 * parent reaches it only through its parent (the supervisor decides), and where util-linux's
 * setpriv exists it gets SIGKILL when its parent dies: a crashed parent leaves no Janus behind
 * (SIGKILL, not SIGTERM: Janus's own shutdown can hang, and nobody is left to escalate).
 * @param {{ dir: string, files?: Record<string, string>, janusPath?: string, env?: NodeJS.ProcessEnv }} options
 */
export function startJanus({ dir, files, janusPath = which("janus", SBIN) ?? "janus", env = process.env }) {
  if (files) writeJanusConfig(dir, files);
  const janusArgs = ["-F", dir, "-C", path.join(dir, "janus.jcfg")];
  const setpriv = process.platform === "linux" ? which("setpriv", SBIN) : null;
  const [command, args] = setpriv
    ? [setpriv, ["--pdeathsig", "SIGKILL", "--", janusPath, ...janusArgs]]
    : [janusPath, janusArgs];
  return spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
}

/**
 * One GET <apiUrl>/info. Resolves the server_info object, or throws with the reason (refused,
 * timed out, not Janus).
 */
export async function janusInfo(apiUrl, { timeoutMs = 2_000 } = {}) {
  const response = await fetch(`${apiUrl.replace(/\/+$/, "")}/info`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.json().catch(() => null);
  if (!response.ok || body?.janus !== "server_info")
    throw new Error(`${apiUrl}/info answered ${response.status} without Janus's server_info`);
  return body;
}

function reasonOf(error) {
  const cause = error?.cause?.code ?? error?.name;
  if (cause === "ECONNREFUSED") return "connection refused";
  if (cause === "TimeoutError") return "no answer in time";
  return error?.cause?.message ?? error?.message ?? String(error);
}

/**
 * Polls GET <apiUrl>/info until Janus answers; resolves its server_info. Rejects after `timeoutMs`
 * (naming the last reason), or as soon as `cancelled()` returns a reason (e.g. the process exited).
 * @param {string} apiUrl
 * @param {number} [timeoutMs]
 * @param {{ cancelled?: () => string | false | null | undefined, intervalMs?: number }} [options]
 */
export async function waitForJanus(apiUrl, timeoutMs = 15_000, { cancelled = () => null, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = "not tried";
  for (;;) {
    const stop = cancelled();
    if (stop) throw new Error(`Janus did not come up at ${apiUrl}: ${stop}`);
    try {
      return await janusInfo(apiUrl, { timeoutMs: Math.max(200, Math.min(2_000, deadline - Date.now())) });
    } catch (error) {
      last = reasonOf(error);
    }
    if (Date.now() >= deadline)
      throw new Error(`Janus is not answering at ${apiUrl}/info after ${timeoutMs / 1000}s (${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Whether a Janus answers at `apiUrl` and, when `adminUrl` and `adminSecret` are given, accepts
 * the admin secret (an admin "get_status": Janus answers "ping" whatever the secret). Never rejects.
 * @returns {Promise<{ state: "ready", version: string } | { state: "unreachable" | "other" | "wrong-secret", detail: string }>}
 */
export async function probeJanus(apiUrl, { adminUrl, adminSecret, timeoutMs = 2_000 } = {}) {
  let info;
  try {
    info = await janusInfo(apiUrl, { timeoutMs });
  } catch (error) {
    const reason = reasonOf(error);
    return { state: /answered/.test(reason) ? "other" : "unreachable", detail: reason };
  }
  if (adminUrl && adminSecret) {
    try {
      const response = await fetch(adminUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          janus: "get_status",
          transaction: randomBytes(6).toString("hex"),
          admin_secret: adminSecret,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await response.json().catch(() => null);
      if (body?.janus === "error") return { state: "wrong-secret", detail: body.error?.reason ?? "refused" };
      if (body?.janus !== "success")
        return { state: "other", detail: `${adminUrl} did not answer like Janus's admin API` };
    } catch (error) {
      return { state: "other", detail: `its admin API at ${adminUrl} is not answering (${reasonOf(error)})` };
    }
  }
  return { state: "ready", version: info.version_string };
}
