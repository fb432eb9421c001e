#!/usr/bin/env node
// Makes sure the Chromium the end-to-end tests drive is installed: Debian's `chromium` package at
// /usr/bin/chromium (or CHROMIUM_PATH), with its colour emoji font. When missing and we are root,
// they are installed with apt (`apt-get update` first only if the install fails); otherwise this
// fails with one clear line. Never downloads a browser build of its own (no `npx playwright install`).
//
// Used by the e2e global setup; also runnable by hand: `node apps/web/e2e/ensure-chromium.mjs`.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";
/** Debian's colour emoji font: without it the room's reaction buttons show empty boxes in screenshots. */
const EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";
const PACKAGES = ["chromium", "fonts-noto-color-emoji"];

/** The Chromium executable the tests launch. */
export function chromiumPath() {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

/** An Error whose report is its message alone (no stack): one clear line. */
function oneLine(message) {
  const error = new Error(message);
  error.stack = message;
  return error;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function apt(args, log) {
  log(`$ apt-get ${args.join(" ")}`);
  const result = spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=120", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.error)
    throw oneLine(
      `✖ Chromium is not installed and apt-get could not run (${result.error.message}); install Debian's chromium package or set CHROMIUM_PATH.`,
    );
  return result.status === 0;
}

/**
 * Returns the path of an executable Chromium, installing Debian's package when it is missing and this
 * process runs as root; throws a one-line error otherwise.
 */
export function ensureChromium({ log = (line) => console.log(line) } = {}) {
  const path = chromiumPath();
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (isExecutable(path) && (existsSync(EMOJI_FONT) || !root || process.env.CHROMIUM_PATH)) return path;
  if (process.env.CHROMIUM_PATH) {
    throw oneLine(
      `✖ CHROMIUM_PATH=${path} is not an executable file; point it at a Chromium binary or unset it to use Debian's ${DEFAULT_CHROMIUM_PATH}.`,
    );
  }
  if (!root) {
    throw oneLine(
      `✖ Chromium is not installed at ${DEFAULT_CHROMIUM_PATH} and only root can install it: run \`sudo apt-get install -y chromium\` (or set CHROMIUM_PATH), then run the tests again.`,
    );
  }
  log(`Installing Debian's ${PACKAGES.join(" and ")} packages for the browser tests…`);
  const install = ["install", "-y", ...PACKAGES];
  const installed = apt(install, log) || (apt(["update"], log) && apt(install, log));
  if (!installed || !isExecutable(path)) {
    throw oneLine(
      `✖ Installing Chromium with apt-get failed (see above); install Debian's chromium package or set CHROMIUM_PATH.`,
    );
  }
  log(`Chromium installed at ${path}.`);
  return path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(ensureChromium());
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
