// The media server (Janus) for `npm start`, `npm run dev`, `npm run start:cluster` and
// `npm run services`. Node built-ins only: this runs before `npm install`.
//
// Policy (the same as for Postgres and Redis, docs/decisions/001-two-command-setup.md):
// - the first server of MEDIA_SERVERS is run here only when both its URLs are on loopback;
// - a Janus that already answers there (with our admin secret) is used as it is;
// - otherwise Janus is installed if needed (apt-get, as root on Debian/Ubuntu), its configuration
//   written to .cache/janus/ from the MEDIA_* variables, and it runs supervised next to web and
//   worker (restarted after a crash, stopped by Ctrl-C with the rest);
// - any other server is only probed and reported.
import { rmSync } from "node:fs";
import path from "node:path";
import {
  INSTALL_HINT,
  MEDIA_DEFAULTS,
  ensureJanusInstalled,
  eventsUrlFor,
  janusConfigFiles,
  janusVersion,
  localJanusOptions,
  mediaSettings,
  probeJanus,
  writeJanusConfig,
} from "../../packages/media-server/src/index.mjs";
import { ROOT, UserError, color, log } from "./proc.mjs";
import { isPortFree, localSecret } from "./setup.mjs";

/** Where `npm start` writes Janus's configuration. */
export const JANUS_CONFIG_DIR = path.join(ROOT, ".cache", "janus");
const SUPERVISOR = path.join(ROOT, "packages", "media-server", "bin", "supervise-janus.mjs");

/**
 * The media settings for a mode. In production mode (npm start, start:cluster) an unset
 * MEDIA_ADMIN_SECRET / MEDIA_ROOM_ADMIN_KEY is generated once into .cache/ (like AUTH_SECRET), so
 * the committed development values never guard a production-mode Janus.
 * @returns {{ settings: ReturnType<typeof mediaSettings>, env: Record<string, string>, generated: string[] }}
 */
export function mediaConfig(mode, env = process.env) {
  const settings = mediaSettings(env);
  const generated = [];
  if (mode === "start" || mode === "cluster") {
    for (const [name, file, key] of [
      ["MEDIA_ADMIN_SECRET", "media-admin-secret", "adminSecret"],
      ["MEDIA_ROOM_ADMIN_KEY", "media-room-admin-key", "roomAdminKey"],
    ]) {
      const local = localSecret(name, file);
      settings[key] = local.secret;
      if (local.generated) generated.push(path.relative(ROOT, local.file));
    }
  }
  // Every child (web, worker, Janus) sees the same values, defaults included.
  return {
    settings,
    env: {
      MEDIA_SERVERS: env.MEDIA_SERVERS || MEDIA_DEFAULTS.MEDIA_SERVERS,
      MEDIA_ADMIN_SECRET: settings.adminSecret,
      MEDIA_ROOM_ADMIN_KEY: settings.roomAdminKey,
    },
    generated,
  };
}

function describeProbe(server, result) {
  return result.state === "ready"
    ? `Media server ${server.id} ready at ${server.apiUrl} (Janus ${result.version})`
    : `Media server ${server.id} is not answering at ${server.apiUrl} (${result.detail}) — Livehall starts anyway; media works once it answers.`;
}

/** Probes and reports the servers Livehall does not run (never fails: they may come up later). */
async function reportOthers(servers, adminSecret) {
  const results = await Promise.all(
    servers.map((server) => probeJanus(server.apiUrl, { adminUrl: server.adminUrl, adminSecret })),
  );
  servers.forEach((server, i) => {
    const result = results[i];
    if (result.state === "ready") log.ok(describeProbe(server, result));
    else if (result.state === "wrong-secret")
      log.warn(`Media server ${server.id} at ${server.adminUrl} refuses MEDIA_ADMIN_SECRET (${result.detail}).`);
    else log.warn(describeProbe(server, result));
  });
}

/**
 * Makes sure the media server can run, and returns the process to run next to web and worker
 * (null when Livehall does not run it). `check` (npm run services) only installs and reports.
 * Throws a one-line UserError when Janus cannot be installed or its ports are taken.
 * @param {{ mode: string, webPort: number, settings: ReturnType<typeof mediaSettings> }} options
 */
export async function prepareMedia({ mode, webPort, settings }) {
  const options = localJanusOptions(settings, { eventsUrl: eventsUrlFor(webPort) });
  if (!options) {
    await reportOthers(settings.servers, settings.adminSecret);
    return null;
  }
  const others = settings.servers.slice(1);
  const local = await prepareLocalJanus(mode, options);
  if (others.length) await reportOthers(others, settings.adminSecret);
  return local;
}

async function prepareLocalJanus(mode, options) {
  // `npm run services` may run next to either mode (whose secrets differ): it only asks "are you up?".
  const answer = await probeJanus(options.apiUrl, mode === "check" ? {} : options);
  if (answer.state === "ready") {
    log.ok(`Janus ready at ${options.apiUrl} (${answer.version}; already running, used as it is)`);
    return null;
  }
  if (answer.state === "wrong-secret")
    throw new UserError(
      `A Janus already answers at ${options.apiUrl} but refuses MEDIA_ADMIN_SECRET — stop it (the janus system service? \`systemctl disable --now janus\`) or set MEDIA_ADMIN_SECRET to its admin secret.`,
    );
  if (answer.state === "other")
    throw new UserError(
      `Something answers at ${options.apiUrl} that is not a usable Janus (${answer.detail}) — stop it (the janus system service? \`systemctl disable --now janus\`) or change the ports in MEDIA_SERVERS.`,
    );

  const janus = await ensureJanusInstalled({
    log: log.step,
    logFile: path.join(ROOT, ".cache", "apt-install-janus.log"),
  });
  const version = await janusVersion(janus.path);
  if (mode === "check") {
    log.ok(
      `Janus ${janus.installed ? "installed" : "found"} (${janus.path}${version ? `, ${version}` : ""}): npm start runs it at ${options.apiUrl}`,
    );
    return null;
  }
  for (const [port, what] of [
    [options.apiPort, "API"],
    [options.adminPort, "admin API"],
  ]) {
    if (!(await isPortFree({ port, host: options.bindAddress })))
      throw new UserError(
        `Port ${port} (the Janus ${what} in MEDIA_SERVERS) is already in use — stop what is listening there, or change the port in MEDIA_SERVERS.`,
      );
  }
  let files;
  try {
    files = janusConfigFiles({ ...options, libDir: janus.libDir });
  } catch (error) {
    throw new UserError(`${error.message} — check the MEDIA_* variables, or ${INSTALL_HINT}.`);
  }
  // A fresh folder: no file from an earlier configuration (an event handler now off) stays behind.
  rmSync(JANUS_CONFIG_DIR, { recursive: true, force: true });
  writeJanusConfig(JANUS_CONFIG_DIR, files);
  log.ok(
    `Janus${version ? ` ${version}` : ""} ${janus.installed ? "installed" : "found"} at ${janus.path}; configuration in ${path.relative(ROOT, JANUS_CONFIG_DIR)}/ ${color.dim(`(API ${options.apiUrl}, admin ${options.adminUrl}, media UDP ${options.rtpPortRange})`)}`,
  );
  return {
    apiUrl: options.apiUrl,
    process: {
      name: "janus",
      command: process.execPath,
      args: [SUPERVISOR, "--config-dir", JANUS_CONFIG_DIR, "--api-url", options.apiUrl, "--no-prefix"],
    },
  };
}
