// Janus's configuration, written as libconfig (.jcfg) files in one folder. Node built-ins only.
import { existsSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { SBIN, which } from "./system.mjs";

/** The only modules Janus loads; every other .so in its folders is disabled by name. */
export const JANUS_MODULES = Object.freeze({
  plugin: "libjanus_videoroom.so",
  transport: "libjanus_http.so",
  eventHandler: "libjanus_sampleevh.so",
});

const FOLDERS = /** @type {const} */ (["plugins", "transports", "events", "loggers"]);

const TRIPLETS = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", arm: "arm-linux-gnueabihf" };

/**
 * Janus's library folder (with plugins/, transports/, events/, loggers/): next to the janus
 * program (…/bin/janus → …/lib/janus, or …/lib/<triplet>/janus), else Debian's /usr/lib/<triplet>/janus.
 * Returns null when none has the videoroom plugin.
 */
export function findJanusLibDir(janusPath = which("janus", SBIN)) {
  const candidates = [];
  const triplet = TRIPLETS[process.arch];
  if (janusPath) {
    const prefix = path.dirname(path.dirname(realpathSync(janusPath)));
    if (triplet) candidates.push(path.join(prefix, "lib", triplet, "janus"));
    candidates.push(path.join(prefix, "lib", "janus"));
  }
  if (triplet) candidates.push(`/usr/lib/${triplet}/janus`);
  candidates.push("/usr/local/lib/janus", "/opt/janus/lib/janus");
  return candidates.find((dir) => existsSync(path.join(dir, "plugins", JANUS_MODULES.plugin))) ?? null;
}

/**
 * The module files Janus would load from `libDir`: the names ending in .so in each folder (Janus
 * ignores the versioned .so.1 links), sorted.
 * @returns {{ plugins: string[], transports: string[], events: string[], loggers: string[] }}
 */
export function listJanusModules(libDir) {
  const list = (folder) => {
    const dir = path.join(libDir, folder);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => name.endsWith(".so"))
          .sort()
      : [];
  };
  return Object.fromEntries(FOLDERS.map((folder) => [folder, list(folder)]));
}

/**
 * A libconfig string literal: double quotes, with backslash, quote and every control character
 * escaped (libconfig reads \\ \" \n \r \t \f and \xNN).
 */
export function libconfigString(value) {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const escaped = String(value).replace(/[\\"\u0000-\u001f\u007f]/g, (char) => {
    if (char === "\\") return "\\\\";
    if (char === '"') return '\\"';
    const named = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f" }[char];
    return named ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  return `"${escaped}"`;
}

function libconfigValue(value) {
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`Janus configuration: ${value} is not an integer`);
    return String(value);
  }
  return libconfigString(value);
}

/** One libconfig file: groups of settings (undefined settings are left out). */
export function libconfigFile(groups) {
  return `${Object.entries(groups)
    .map(([group, settings]) => {
      const lines = Object.entries(settings)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `  ${key} = ${libconfigValue(value)}`);
      return `${group}: {\n${lines.join("\n")}\n}\n`;
    })
    .join("\n")}`;
}

function assertPort(value, name) {
  if (!Number.isInteger(value) || value < 1 || value > 65_535)
    throw new Error(`Janus configuration: ${name} must be a port number (1-65535), got ${value}`);
}

function assertSecret(value, name) {
  if (typeof value !== "string" || value.length === 0)
    throw new Error(`Janus configuration: ${name} must be a non-empty string`);
}

/** "20000-20200" → [20000, 20200]; throws for anything else. */
export function parsePortRange(range) {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(String(range));
  const [min, max] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!match || min < 1 || max > 65_535 || min > max)
    throw new Error(`Janus configuration: the RTP port range must look like 20000-20200, got "${range}"`);
  return [min, max];
}

/** "stun.example.org:3478" → { host, port } (port 3478 when left out). */
export function parseStunServer(value) {
  const match = /^([^\s:]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(String(value));
  const port = match?.[2] ? Number(match[2]) : 3478;
  if (!match || port < 1 || port > 65_535)
    throw new Error(`Janus configuration: the STUN server must look like host:port, got "${value}"`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * The configuration files of one Janus: `{ [fileName]: contents }`, for `janus -F <dir> -C <dir>/janus.jcfg`.
 * Pure when `modules` is given (else the module files are listed from `libDir`). Only the
 * VideoRoom plugin, the HTTP transport (API and admin API on `bindAddress`) and, when `eventsUrl`
 * is set, the sample event handler posting to it are loaded: every other module is disabled.
 * @param {import("./index.d.mts").JanusConfigOptions} options
 * @returns {Record<string, string>}
 */
export function janusConfigFiles(options) {
  const {
    apiPort,
    adminPort,
    apiBasePath = "/janus",
    adminBasePath = "/admin",
    bindAddress = "127.0.0.1",
    adminSecret,
    roomAdminKey,
    rtpPortRange,
    publicIp,
    iceInterface,
    stunServer,
    iceTcp = false,
    eventsUrl,
    eventsUser = "janus",
    eventsPassword,
    debugLevel = 4,
    serverName = "livehall",
  } = options;
  const libDir = options.libDir ?? findJanusLibDir();
  if (!libDir) throw new Error("Janus configuration: no Janus library folder found (is Janus installed?)");
  const modules = options.modules ?? listJanusModules(libDir);
  assertPort(apiPort, "apiPort");
  assertPort(adminPort, "adminPort");
  if (apiPort === adminPort) throw new Error("Janus configuration: apiPort and adminPort must differ");
  assertSecret(adminSecret, "adminSecret");
  assertSecret(roomAdminKey, "roomAdminKey");
  parsePortRange(rtpPortRange);
  if (!modules.plugins.includes(JANUS_MODULES.plugin))
    throw new Error(`Janus configuration: ${path.join(libDir, "plugins")} has no ${JANUS_MODULES.plugin}`);
  if (!modules.transports.includes(JANUS_MODULES.transport))
    throw new Error(`Janus configuration: ${path.join(libDir, "transports")} has no ${JANUS_MODULES.transport}`);
  const events = eventsUrl != null && eventsUrl !== "";
  if (events && !modules.events.includes(JANUS_MODULES.eventHandler))
    throw new Error(`Janus configuration: ${path.join(libDir, "events")} has no ${JANUS_MODULES.eventHandler}`);
  const stun = stunServer ? parseStunServer(stunServer) : undefined;
  const except = (list, keep) => list.filter((name) => name !== keep).join(",") || undefined;

  const files = {
    "janus.jcfg": libconfigFile({
      general: {
        plugins_folder: path.join(libDir, "plugins"),
        transports_folder: path.join(libDir, "transports"),
        events_folder: path.join(libDir, "events"),
        loggers_folder: path.join(libDir, "loggers"),
        admin_secret: adminSecret,
        token_auth: true,
        debug_level: debugLevel,
        debug_colors: false,
        server_name: serverName,
        // A module that cannot load is a broken installation: say so at once (the supervisor logs it).
        exit_on_dl_error: true,
      },
      media: { rtp_port_range: rtpPortRange },
      nat: {
        ice_enforce_list: iceInterface || undefined,
        nat_1_1_mapping: publicIp || undefined,
        stun_server: stun?.host,
        stun_port: stun?.port,
        // ICE over TCP (networks that block UDP) works only with ICE-lite in Janus.
        ice_lite: iceTcp || undefined,
        ice_tcp: iceTcp || undefined,
      },
      plugins: { disable: except(modules.plugins, JANUS_MODULES.plugin) },
      transports: { disable: except(modules.transports, JANUS_MODULES.transport) },
      loggers: { disable: except(modules.loggers, undefined) },
      events: {
        broadcast: events,
        disable: except(modules.events, events ? JANUS_MODULES.eventHandler : undefined),
      },
    }),
    "janus.transport.http.jcfg": libconfigFile({
      general: { base_path: apiBasePath, http: true, port: apiPort, ip: bindAddress, https: false },
      admin: {
        admin_base_path: adminBasePath,
        admin_http: true,
        admin_port: adminPort,
        admin_ip: bindAddress,
        admin_https: false,
      },
    }),
    "janus.plugin.videoroom.jcfg": libconfigFile({ general: { admin_key: roomAdminKey } }),
  };
  if (events) {
    files["janus.eventhandler.sampleevh.jcfg"] = libconfigFile({
      general: {
        enabled: true,
        events: "handles,plugins",
        grouping: true,
        json: "compact",
        backend: eventsUrl,
        backend_user: eventsPassword ? eventsUser : undefined,
        backend_pwd: eventsPassword || undefined,
      },
    });
  }
  return files;
}

/** The files that hold secrets (written readable by their owner only). */
export const SECRET_FILES = Object.freeze([
  "janus.jcfg",
  "janus.plugin.videoroom.jcfg",
  "janus.eventhandler.sampleevh.jcfg",
]);
