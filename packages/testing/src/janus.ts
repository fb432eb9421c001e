import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createJanusSupervisor,
  ensureJanusInstalled,
  janusConfigFiles,
  type JanusSupervisor,
  type JanusSupervisorOptions,
} from "@livehall/media-server";
import { freePort } from "./ports";
import { waitFor } from "./wait";

/** What a test needs to reach one test Janus (plain data: handed from globalSetup to test files). */
export interface TestJanusCoordinates {
  /** The media server's id in MEDIA_SERVERS. */
  id: string;
  apiUrl: string;
  adminUrl: string;
  adminSecret: string;
  roomAdminKey: string;
  /** The interface ICE gathers on ("lo" outside the media namespace: no candidate, no media). */
  iceInterface: string;
  /** Its configuration folder: names its process (see crashJanus). */
  dir: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's Janus, started by @livehall/testing/janus-setup. */
    janus: TestJanusCoordinates;
  }
}

export interface TestJanus extends TestJanusCoordinates {
  /** The current supervisor (a new one after restart()). */
  readonly supervisor: JanusSupervisor;
  /** The environment the app's config reads to use this Janus. */
  env(): Record<"MEDIA_SERVERS" | "MEDIA_ADMIN_SECRET" | "MEDIA_ROOM_ADMIN_KEY", string>;
  /** Resolves once the running Janus answers (e.g. after kill()). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Clean stop, then a fresh start on the same ports and configuration; resolves once it answers. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash: resolves once it died. Its supervisor then brings it back (waitUntilReady). */
  kill(): Promise<void>;
  /** Stops it for good and deletes its folder. */
  stop(): Promise<void>;
}

export interface TestJanusOptions {
  /** Where Janus posts its events (the sample event handler); none when left out. */
  eventsUrl?: string;
  /**
   * The ICE interface. Default: MEDIA_ICE_INTERFACE (va inside the media namespace), else "lo",
   * where Janus gathers no candidate at all, so no media can ever leave the machine.
   */
  iceInterface?: string;
  /** Default MEDIA_RTP_PORT_RANGE, else 20000-20200. */
  rtpPortRange?: string;
  /** Receives Janus's output lines (default: kept quietly; the last ones appear in errors). */
  log?: (line: string) => void;
  /** Restart timings of the supervisor (defaults: quick, for tests). */
  supervisor?: Pick<
    JanusSupervisorOptions,
    "minDelayMs" | "maxDelayMs" | "resetAfterMs" | "readyTimeoutMs" | "livenessIntervalMs" | "livenessFailures"
  >;
}

/**
 * A private, supervised Janus for tests: free loopback ports, a temporary configuration folder
 * and a random admin secret and room key. Janus is installed first when it is missing (as root on
 * Debian/Ubuntu), else this fails with one line saying how to install it.
 */
export async function startTestJanus(options: TestJanusOptions = {}): Promise<TestJanus> {
  const janus = await ensureJanusInstalled({ log: () => undefined });
  const [apiPort, adminPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(path.join(tmpdir(), "lh-janus-"));
  const iceInterface = options.iceInterface ?? (process.env.MEDIA_ICE_INTERFACE || "lo");
  const coordinates: TestJanusCoordinates = {
    id: `test-${apiPort}`,
    apiUrl: `http://127.0.0.1:${apiPort}/janus`,
    adminUrl: `http://127.0.0.1:${adminPort}/admin`,
    adminSecret: randomBytes(18).toString("base64url"),
    roomAdminKey: randomBytes(18).toString("base64url"),
    iceInterface,
    dir,
  };
  const files = janusConfigFiles({
    apiPort,
    adminPort,
    adminSecret: coordinates.adminSecret,
    roomAdminKey: coordinates.roomAdminKey,
    rtpPortRange: options.rtpPortRange ?? (process.env.MEDIA_RTP_PORT_RANGE || "20000-20200"),
    iceInterface,
    libDir: janus.libDir,
    ...(options.eventsUrl
      ? { eventsUrl: options.eventsUrl, eventsUser: "janus", eventsPassword: coordinates.adminSecret }
      : {}),
  });

  const supervise = (withFiles: boolean) =>
    createJanusSupervisor({
      dir,
      files: withFiles ? files : undefined,
      janusPath: janus.path,
      apiUrl: coordinates.apiUrl,
      log: options.log ?? (() => undefined),
      minDelayMs: 100,
      maxDelayMs: 2_000,
      readyTimeoutMs: 20_000,
      // Tests hang Janus on purpose (SIGSTOP) and decide when it dies: the supervisor's own check
      // (packages/media-server's tests prove it) would cut their outages short.
      livenessIntervalMs: 1_000,
      livenessFailures: 300,
      ...options.supervisor,
    });

  let supervisor = supervise(true);
  try {
    await supervisor.start();
  } catch (error) {
    await supervisor.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    ...coordinates,
    get supervisor() {
      return supervisor;
    },
    env: () => ({
      MEDIA_SERVERS: `${coordinates.id} ${coordinates.apiUrl} ${coordinates.adminUrl}`,
      MEDIA_ADMIN_SECRET: coordinates.adminSecret,
      MEDIA_ROOM_ADMIN_KEY: coordinates.roomAdminKey,
    }),
    waitUntilReady: (timeoutMs) => supervisor.waitUntilReady(timeoutMs),
    async restart() {
      await supervisor.stop();
      supervisor = supervise(false);
      await supervisor.start();
    },
    kill: () => supervisor.kill("SIGKILL"),
    async stop() {
      await supervisor.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The pids of the Janus processes running from `dir` (its configuration folder). */
async function janusPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (path.basename(argv[0] ?? "") === "janus" && argv.includes(dir)) pids.push(Number(entry));
  }
  if (pids.length === 0) throw new Error(`no Janus runs from ${dir}`);
  return pids;
}

/**
 * SIGSTOPs the Janus running from `dir`: it stops answering, as a hung server does, until
 * crashJanus kills it. From any process (a test file cannot reach the run's supervisor).
 */
export async function freezeJanus(dir: string): Promise<void> {
  for (const pid of await janusPids(dir)) process.kill(pid, "SIGSTOP");
}

/**
 * SIGKILLs the Janus running from `dir` (a crash), from any process — a test file cannot reach the
 * supervisor of the run's Janus, which lives in the Vitest main process and brings Janus back.
 * Resolves once it is gone; throws when no such Janus runs.
 */
export async function crashJanus(dir: string): Promise<void> {
  const pids = await janusPids(dir);
  for (const pid of pids) process.kill(pid, "SIGKILL");
  const gone = async () => !(await janusPids(dir).catch(() => [])).some((pid) => pids.includes(pid));
  await waitFor(gone, { what: "Janus to die" });
}
