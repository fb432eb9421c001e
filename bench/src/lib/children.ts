import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "@livehall/testing";
import { WEB_NODE_FLAGS } from "../../../apps/web/node-flags.mjs";
import { BENCH_DIR } from "./env";

export interface ChildServer {
  name: string;
  url: string;
  pid: number;
  /** performance.now() when the process was spawned (to line up a CPU profile's timeline). */
  spawnedAt: number;
  /** SIGTERM, then waits for the exit (a CPU profile is written on a clean exit). */
  stop(): Promise<void>;
}

export interface ChildOptions {
  name: string;
  /** Script run by node: a bench server entry (TypeScript, through tsx) or a built bundle. */
  entry: string;
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Path polled until it answers 2xx (or anything at all, with `readyOnAnyAnswer`). */
  readyPath?: string;
  readyOnAnyAnswer?: boolean;
  cwd?: string;
  /** The web server's /metrics port (default: a free one nobody is told). */
  metricsPort?: number;
}

/**
 * Starts a server in a child process on a free loopback port, so the load generator (this process)
 * and the server never share an event loop. Resolves once `readyPath` answers 2xx.
 */
export async function startChild(options: ChildOptions): Promise<ChildServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tsEntry = options.entry.endsWith(".ts");
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      // The web server's production flags, for the baselines too: the same GC on both sides.
      ...WEB_NODE_FLAGS,
      ...(options.nodeArgs ?? []),
      ...(tsEntry ? ["--import", "tsx"] : []),
      options.entry,
    ],
    {
      cwd: options.cwd ?? BENCH_DIR,
      env: {
        ...process.env,
        ...options.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        METRICS_PORT: String(options.metricsPort ?? 0),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`${options.name} exited during start-up:\n${output}`);
    try {
      const response = await fetch(`${url}${options.readyPath ?? "/readyz"}`);
      await response.arrayBuffer();
      if (response.ok || options.readyOnAnyAnswer) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} did not become ready within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    name: options.name,
    url,
    pid: child.pid!,
    spawnedAt,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
