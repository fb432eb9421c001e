import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { seed } from "@livehall/db/seed";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await seed(server.services.db);
});
afterAll(() => server?.close());

test("npm run smoke passes every check against a running deployment", async () => {
  const script = fileURLToPath(new URL("../../../scripts/smoke.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, "--url", server.url], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect(output).not.toContain("✖");
  expect(output).toContain("✔ join twice (two tabs) → one participant with two connections");
  expect(output).toContain("✔ refresh storm");
  expect(output).toContain("smoke: all checks passed");
  expect(code).toBe(0);
});
