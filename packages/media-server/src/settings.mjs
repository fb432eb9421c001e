// The media settings read from the environment (MEDIA_*), defined once for the scripts, the tests
// and packages/api's config. Node built-ins only.
import { UserError } from "./system.mjs";

/** Every MEDIA_* variable with the value used when it is unset (development values). */
export const MEDIA_DEFAULTS = Object.freeze({
  MEDIA_SERVERS: "local http://127.0.0.1:8088/janus http://127.0.0.1:7088/admin",
  MEDIA_ADMIN_SECRET: "livehall-dev-media-admin",
  MEDIA_ROOM_ADMIN_KEY: "livehall-dev-room-key",
  MEDIA_RTP_PORT_RANGE: "20000-20200",
  MEDIA_PUBLIC_IP: "",
  MEDIA_ICE_INTERFACE: "",
  MEDIA_STUN_SERVER: "",
  MEDIA_ICE_TCP: "false",
});

/** The user name Janus's event handler sends with its posts (the password is the admin secret). */
export const EVENTS_USER = "janus";

/** The web app's path that receives Janus's events. */
export const EVENTS_PATH = "/media/events";

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether a URL points at this machine's loopback. */
export function isLoopbackUrl(url) {
  try {
    return LOCAL_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

function httpUrl(value, what) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`MEDIA_SERVERS: ${what} "${value}" is not a valid URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UserError(`MEDIA_SERVERS: ${what} "${value}" must start with http:// or https://.`);
  return value.replace(/\/+$/, "");
}

/**
 * MEDIA_SERVERS: comma-separated servers, each "id apiUrl adminUrl" (spaces between); empty: none
 * (Livehall runs without video).
 * @returns {{ id: string, apiUrl: string, adminUrl: string }[]}
 */
export function parseMediaServers(value = MEDIA_DEFAULTS.MEDIA_SERVERS) {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const servers = entries.map((entry) => {
    const parts = entry.split(/\s+/);
    if (parts.length !== 3)
      throw new UserError(`MEDIA_SERVERS: "${entry}" must be "id apiUrl adminUrl" (three words separated by spaces).`);
    const [id, api, admin] = parts;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
      throw new UserError(`MEDIA_SERVERS: the id "${id}" may only contain letters, digits, "-" and "_".`);
    return { id, apiUrl: httpUrl(api, `the API URL of ${id}`), adminUrl: httpUrl(admin, `the admin URL of ${id}`) };
  });
  const ids = new Set();
  for (const { id } of servers) {
    if (ids.has(id)) throw new UserError(`MEDIA_SERVERS: the id "${id}" appears twice.`);
    ids.add(id);
  }
  return servers;
}

/** The MEDIA_* settings of an environment, defaults filled in (empty strings count as unset only where the default is empty). */
export function mediaSettings(env = process.env) {
  const value = (name) => env[name] || MEDIA_DEFAULTS[name];
  return {
    // Set but empty means "no media server", not "the default one".
    servers: parseMediaServers(env.MEDIA_SERVERS ?? MEDIA_DEFAULTS.MEDIA_SERVERS),
    adminSecret: value("MEDIA_ADMIN_SECRET"),
    roomAdminKey: value("MEDIA_ROOM_ADMIN_KEY"),
    rtpPortRange: value("MEDIA_RTP_PORT_RANGE"),
    publicIp: value("MEDIA_PUBLIC_IP") || undefined,
    iceInterface: value("MEDIA_ICE_INTERFACE") || undefined,
    stunServer: value("MEDIA_STUN_SERVER") || undefined,
    iceTcp: flag("MEDIA_ICE_TCP", value("MEDIA_ICE_TCP")),
  };
}

function flag(name, value) {
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new UserError(`${name} must be true or false, got "${value}".`);
}

function portOf(url) {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
}

/**
 * How to run the first media server on this machine, or null when it is not local (then Livehall
 * only uses it). A local server is plain http on loopback: the API and admin ports and paths come
 * from its URLs.
 * @param {ReturnType<typeof mediaSettings>} settings
 * @param {{ eventsUrl?: string }} [extra]
 */
export function localJanusOptions(settings, { eventsUrl } = {}) {
  const [first] = settings.servers;
  if (!first || !isLoopbackUrl(first.apiUrl) || !isLoopbackUrl(first.adminUrl)) return null;
  const api = new URL(first.apiUrl);
  const admin = new URL(first.adminUrl);
  if (api.protocol !== "http:" || admin.protocol !== "http:")
    throw new UserError(
      `MEDIA_SERVERS: the local media server ${first.id} must use http:// (Janus listens on loopback only; put TLS in front of a remote one).`,
    );
  if (portOf(first.apiUrl) === portOf(first.adminUrl))
    throw new UserError(`MEDIA_SERVERS: the API and admin URLs of ${first.id} must use different ports.`);
  return {
    id: first.id,
    apiUrl: first.apiUrl,
    adminUrl: first.adminUrl,
    apiPort: portOf(first.apiUrl),
    adminPort: portOf(first.adminUrl),
    apiBasePath: api.pathname.replace(/\/+$/, "") || "/",
    adminBasePath: admin.pathname.replace(/\/+$/, "") || "/",
    bindAddress: api.hostname === "localhost" ? "127.0.0.1" : api.hostname.replace(/^\[|\]$/g, ""),
    adminSecret: settings.adminSecret,
    roomAdminKey: settings.roomAdminKey,
    rtpPortRange: settings.rtpPortRange,
    publicIp: settings.publicIp,
    iceInterface: settings.iceInterface,
    stunServer: settings.stunServer,
    iceTcp: settings.iceTcp,
    ...(eventsUrl ? { eventsUrl, eventsUser: EVENTS_USER, eventsPassword: settings.adminSecret } : {}),
  };
}

/** Where the web app on `port` receives Janus's events (the proxy's port in cluster mode). */
export function eventsUrlFor(port) {
  return `http://127.0.0.1:${port}${EVENTS_PATH}`;
}
