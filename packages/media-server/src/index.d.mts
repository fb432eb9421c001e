import type { ChildProcess, StdioOptions } from "node:child_process";
import type { EventEmitter } from "node:events";

// ---- config.mjs -------------------------------------------------------------------------------

export interface JanusModules {
  plugins: string[];
  transports: string[];
  events: string[];
  loggers: string[];
}

export interface JanusConfigOptions {
  /** Port of the Janus API (HTTP). */
  apiPort: number;
  /** Port of the admin API (HTTP). */
  adminPort: number;
  /** Default "/janus". */
  apiBasePath?: string;
  /** Default "/admin". */
  adminBasePath?: string;
  /** Address both APIs listen on; default 127.0.0.1. */
  bindAddress?: string;
  adminSecret: string;
  /** The VideoRoom plugin's admin_key (needed to create rooms). */
  roomAdminKey: string;
  /** UDP ports for media, "min-max". */
  rtpPortRange: string;
  /** Public address written into host candidates (1:1 NAT). */
  publicIp?: string;
  /** The only interface(s) ICE gathers on (comma-separated). */
  iceInterface?: string;
  /** "host:port" (port 3478 when left out). */
  stunServer?: string;
  /** Accept ICE over TCP too (for networks that block UDP); turns on ICE-lite, which Janus needs for it. */
  iceTcp?: boolean;
  /** Where the sample event handler posts events; no event handler without it. */
  eventsUrl?: string;
  /** Basic-auth user for eventsUrl (default "janus"; sent only with eventsPassword). */
  eventsUser?: string;
  eventsPassword?: string;
  /** Janus's library folder; found next to the janus program when left out. */
  libDir?: string;
  /** The .so files in libDir's folders; listed from libDir when left out (pass it for a pure call). */
  modules?: JanusModules;
  /** 0-7, default 4. */
  debugLevel?: number;
  /** Default "livehall". */
  serverName?: string;
}

export declare const JANUS_MODULES: Readonly<{ plugin: string; transport: string; eventHandler: string }>;
export declare const SECRET_FILES: readonly string[];
export declare function findJanusLibDir(janusPath?: string | null): string | null;
export declare function listJanusModules(libDir: string): JanusModules;
export declare function libconfigString(value: string): string;
export declare function parsePortRange(range: string): [number, number];
export declare function parseStunServer(value: string): { host: string; port: number };
export declare function janusConfigFiles(options: JanusConfigOptions): Record<string, string>;

// ---- install.mjs ------------------------------------------------------------------------------

export interface InstalledJanus {
  path: string;
  libDir: string;
}
export declare const INSTALL_HINT: string;
export declare function findJanus(): InstalledJanus | null;
export declare function janusVersion(janusPath: string): Promise<string | null>;
export declare function ensureJanusInstalled(options?: {
  log?: (text: string) => void;
  logFile?: string;
}): Promise<InstalledJanus & { installed: boolean }>;

// ---- namespace.mjs ----------------------------------------------------------------------------

export declare const MEDIA_NAMESPACE: Readonly<{
  hostInterface: string;
  hostAddress: string;
  peerInterface: string;
  peerAddress: string;
  prefixLength: number;
  redisPort: number;
}>;
export declare function namespaceProblem(): Promise<string | null>;
export declare function socketDatabaseUrl(url: string, envName: string, socketDirs?: string[]): string;
export declare function mediaNamespaceEnv(
  env?: NodeJS.ProcessEnv,
  options?: { socketDirs?: string[] },
): NodeJS.ProcessEnv;
export declare function runInMediaNamespace(
  command: string,
  args?: string[],
  options?: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions },
): Promise<number>;

// ---- process.mjs ------------------------------------------------------------------------------

export interface JanusServerInfo {
  janus: "server_info";
  version: number;
  version_string: string;
  [key: string]: unknown;
}
export type JanusProbe =
  { state: "ready"; version: string } | { state: "unreachable" | "other" | "wrong-secret"; detail: string };

export declare function writeJanusConfig(dir: string, files: Record<string, string>): void;
export declare function startJanus(options: {
  dir: string;
  files?: Record<string, string>;
  janusPath?: string;
  env?: NodeJS.ProcessEnv;
}): ChildProcess;
export declare function janusInfo(apiUrl: string, options?: { timeoutMs?: number }): Promise<JanusServerInfo>;
export declare function waitForJanus(
  apiUrl: string,
  timeoutMs?: number,
  options?: { cancelled?: () => string | false | null | undefined; intervalMs?: number },
): Promise<JanusServerInfo>;
export declare function probeJanus(
  apiUrl: string,
  options?: { adminUrl?: string; adminSecret?: string; timeoutMs?: number },
): Promise<JanusProbe>;

// ---- settings.mjs -----------------------------------------------------------------------------

export interface MediaServer {
  id: string;
  apiUrl: string;
  adminUrl: string;
}
export interface MediaSettings {
  servers: MediaServer[];
  adminSecret: string;
  roomAdminKey: string;
  rtpPortRange: string;
  publicIp?: string;
  iceInterface?: string;
  stunServer?: string;
  iceTcp: boolean;
}
export type LocalJanusOptions = Required<
  Pick<JanusConfigOptions, "apiPort" | "adminPort" | "apiBasePath" | "adminBasePath" | "bindAddress">
> &
  Omit<JanusConfigOptions, "libDir" | "modules"> & { id: string; apiUrl: string; adminUrl: string };

export declare const MEDIA_DEFAULTS: Readonly<{
  MEDIA_SERVERS: string;
  MEDIA_ADMIN_SECRET: string;
  MEDIA_ROOM_ADMIN_KEY: string;
  MEDIA_RTP_PORT_RANGE: string;
  MEDIA_PUBLIC_IP: string;
  MEDIA_ICE_INTERFACE: string;
  MEDIA_STUN_SERVER: string;
}>;
export declare const EVENTS_USER: string;
export declare const EVENTS_PATH: string;
export declare function isLoopbackUrl(url: string): boolean;
export declare function parseMediaServers(value?: string): MediaServer[];
export declare function mediaSettings(env?: NodeJS.ProcessEnv): MediaSettings;
export declare function localJanusOptions(
  settings: MediaSettings,
  extra?: { eventsUrl?: string },
): LocalJanusOptions | null;
export declare function eventsUrlFor(port: number): string;

// ---- supervisor.mjs ---------------------------------------------------------------------------

export interface JanusSupervisorOptions {
  /** The configuration folder (janus -F). */
  dir: string;
  /** Written to dir before the first start, when given. */
  files?: Record<string, string>;
  janusPath?: string;
  /** Enables readiness checks (GET <apiUrl>/info) and the "ready" event. */
  apiUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives every line (Janus's output and the supervisor's own), prefixed. Default console.log. */
  log?: (line: string) => void;
  /** Default "[janus]"; "" for none. */
  prefix?: string;
  /** Hide the lines naming each module Janus skips on purpose (default true). */
  quiet?: boolean;
  /** First restart delay (default 500 ms), doubled per crash up to maxDelayMs (default 30 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A run this long (default 60 s) resets the delay to minDelayMs. */
  resetAfterMs?: number;
  /** A Janus not answering this long after starting is killed (and restarted). Default 30 s. */
  readyTimeoutMs?: number;
  /** How often a running Janus is asked `info` (default 5 s), and after how many failures in a row it is killed (3). */
  livenessIntervalMs?: number;
  livenessFailures?: number;
  /** SIGKILL this long after SIGTERM when stopping. Default 10 s. */
  stopTimeoutMs?: number;
  random?: () => number;
  /** Stop on SIGINT/SIGTERM to this process (for a process whose only job is Janus). */
  handleSignals?: boolean;
}

export interface JanusExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  uptimeMs: number;
  error?: string;
  /** null when it exited because it was being stopped. */
  restartInMs: number | null;
}

export interface JanusSupervisor {
  /** "spawn" (ChildProcess), "ready" (server info), "exit" (JanusExit), "stop". */
  readonly events: EventEmitter;
  /** The running Janus, or null between a crash and its restart. */
  readonly child: ChildProcess | null;
  readonly pid: number | undefined;
  /** Whether the running Janus has answered GET /info. */
  readonly ready: boolean;
  readonly restarts: number;
  readonly lastExit: Omit<JanusExit, "restartInMs"> | null;
  readonly stopped: boolean;
  recentOutput(): string[];
  /** Starts Janus; with apiUrl, resolves once it answers (rejects after readyTimeoutMs). */
  start(): Promise<void>;
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Signals the running Janus (default SIGKILL: a crash); resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops Janus for good (SIGTERM, then SIGKILL after stopTimeoutMs). */
  stop(): Promise<void>;
}

export declare function restartDelay(
  attempt: number,
  options?: { minDelayMs?: number; maxDelayMs?: number; random?: () => number },
): number;
export declare function createJanusSupervisor(options: JanusSupervisorOptions): JanusSupervisor;

// ---- system.mjs -------------------------------------------------------------------------------

export declare class UserError extends Error {}
export declare const SBIN: string[];
export declare function isRoot(): boolean;
export declare function which(command: string, extraDirs?: string[]): string | null;
export declare function lastLine(output: string | undefined): string;
export declare function capture(
  command: string,
  args?: string[],
  options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ code: number; output: string }>;
export declare function canInstallWithApt(): boolean;
export declare function aptInstall(
  packages: string[],
  options: { logFile: string; wayOut: string; log?: (text: string) => void },
): Promise<void>;
