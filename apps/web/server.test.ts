import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const appRoot = path.dirname(fileURLToPath(import.meta.url));

/** Runs server.ts from source, as `npm run dev` does, with this test file's database and Redis. */
function startEntry(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: appRoot,
    env: { ...process.env, PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

test("invalid configuration prints one line and exits 1", async () => {
  const entry = startEntry({ PORT: "not-a-port" });
  expect(await entry.exited).toBe(1);
  const { stdout, stderr } = entry.output();
  expect(stdout).toBe("");
  expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(/^Invalid configuration: PORT: /)]);
});

test("announces its URL, serves, and exits 0 on SIGTERM", async () => {
  const entry = startEntry();
  const url = await new Promise<string>((resolve, reject) => {
    entry.child.stdout.on("data", () => {
      // Tests listen on loopback (HOST=127.0.0.1, see @livehall/testing), announced as that or localhost.
      const match = entry
        .output()
        .stdout.match(/^Livehall web listening on (http:\/\/(?:localhost|127\.0\.0\.1):\d+)$/m);
      if (match) resolve(match[1]!);
    });
    entry.exited.then((code) => reject(new Error(`server exited early (${code}): ${entry.output().stderr}`)));
  });
  // The server listens on IPv4; "localhost" may resolve to ::1 first.
  const health = await fetch(`${url.replace("localhost", "127.0.0.1")}/healthz`);
  expect(health.status).toBe(200);

  entry.child.kill("SIGTERM");
  expect(await entry.exited).toBe(0);
});
