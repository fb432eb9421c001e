import { fileURLToPath } from "node:url";
import { seed } from "@livehall/db/seed";
import { runToCompletion } from "@livehall/testing";
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
  const { code, stdout, stderr } = await runToCompletion(process.execPath, [
    "--import",
    "tsx",
    script,
    "--url",
    server.url,
  ]);
  const output = stdout + stderr;
  expect(output).not.toContain("✖");
  expect(output).toContain("✔ join twice (two tabs) → one participant with two connections");
  expect(output).toContain("✔ refresh storm");
  expect(output).toContain("smoke: all checks passed");
  expect(code).toBe(0);
});
