// Making sure Janus is installed (Debian's `janus` package). Node built-ins only.
import { tmpdir } from "node:os";
import path from "node:path";
import { findJanusLibDir } from "./config.mjs";
import { SBIN, UserError, aptInstall, canInstallWithApt, capture, which } from "./system.mjs";

/** The way out named in every "Janus is missing" message. */
export const INSTALL_HINT =
  "install it (Debian/Ubuntu: `apt-get install -y janus`), or run it with Docker (`docker compose up -d janus`)";

/**
 * The installed Janus: { path, libDir } (the program and its plugins folder), or null when either
 * is missing.
 */
export function findJanus() {
  const janusPath = which("janus", SBIN);
  if (!janusPath) return null;
  const libDir = findJanusLibDir(janusPath);
  return libDir ? { path: janusPath, libDir } : null;
}

/** "1.1.2" (from `janus --version`'s first line), or null. */
export async function janusVersion(janusPath) {
  const { output } = await capture(janusPath, ["--version"], { timeoutMs: 5_000 });
  return /Janus version: \d+ \(([^)]+)\)/.exec(output)?.[1] ?? null;
}

/**
 * Janus, installed with apt-get when it is missing and this is root on Debian/Ubuntu (the policy
 * of docs/decisions/001-two-command-setup.md for Postgres and Redis). Throws a one-line UserError
 * otherwise.
 * @param {{ log?: (text: string) => void, logFile?: string }} [options]
 * @returns {Promise<{ path: string, libDir: string, installed: boolean }>}
 */
export async function ensureJanusInstalled({ log = console.log, logFile } = {}) {
  const found = findJanus();
  if (found) return { ...found, installed: false };
  if (!canInstallWithApt()) throw new UserError(`Janus (the media server) is not installed — ${INSTALL_HINT}.`);
  await aptInstall(["janus"], {
    logFile: logFile ?? path.join(tmpdir(), "livehall-janus-apt.log"),
    wayOut: INSTALL_HINT,
    log,
  });
  await stopPackagedService(log);
  const installed = findJanus();
  if (!installed)
    throw new UserError(
      `apt-get installed janus, but no janus program with its VideoRoom plugin was found — ${INSTALL_HINT}.`,
    );
  return { ...installed, installed: true };
}

/**
 * The package starts its own janus service (default configuration, port 8088) where systemd runs.
 * Livehall runs Janus itself, so the service it just installed is disabled again.
 */
async function stopPackagedService(log) {
  const systemctl = which("systemctl", SBIN);
  if (!systemctl) return;
  const result = await capture(systemctl, ["disable", "--now", "janus.service"], { timeoutMs: 30_000 });
  if (result.code === 0) log("Disabled the janus system service the package started (Livehall runs its own Janus).");
}
