import { execFile } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports";

const run = promisify(execFile);
const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

/**
 * Private Postgres and Redis servers on spare loopback ports, for tests that stop, crash or restart
 * a server. The shared servers on 5432/6379 are never touched.
 */
export interface PrivateServer {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Clean stop. */
  stop(): Promise<void>;
  /** Immediate stop, as a crash would. */
  kill(): Promise<void>;
  /** Stops and deletes everything. */
  destroy(): Promise<void>;
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await run("runuser", ["-u", "postgres", "--", command, ...args]);
  else await run(command, args);
}

export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "lh-pg-"));
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const uid = Number(stdout.trim());
    await chown(dir, uid, uid);
  }
  const data = path.join(dir, "data");
  const port = await freePort();
  await asPostgres(path.join(PG_BIN, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const pgCtl = (...args: string[]) => asPostgres(path.join(PG_BIN, "pg_ctl"), ["-D", data, ...args]);
  const server: PrivateServer = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () =>
      pgCtl(
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
        "-l",
        path.join(dir, "log"),
        "-w",
        "start",
      ),
    stop: () => pgCtl("-m", "fast", "-w", "stop"),
    kill: () => pgCtl("-m", "immediate", "-w", "stop"),
    destroy: async () => {
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const cli = (...args: string[]) => run("redis-cli", ["-p", String(port), ...args]);
  const server: PrivateServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      await run("redis-server", [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "yes",
      ]);
      for (let i = 0; i < 50; i++) {
        if (
          await cli("ping").then(
            (r) => r.stdout.trim() === "PONG",
            () => false,
          )
        )
          return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`private Redis on port ${port} did not start`);
    },
    stop: async () => {
      await cli("shutdown", "nosave").catch(() => undefined);
    },
    kill: async () => {
      await cli("shutdown", "nosave").catch(() => undefined);
    },
    destroy: async () => {
      await cli("shutdown", "nosave").catch(() => undefined);
    },
  };
  await server.start();
  return server;
}
