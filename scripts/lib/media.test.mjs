// The media server part of `npm run services` / `npm start` (scripts/lib/media.mjs). Only loopback
// is ever contacted; nothing is installed (apt-get is kept out of reach) and no Janus is left running.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { describe, test } from "node:test";
import { SBIN } from "../../packages/media-server/src/system.mjs";
import { ROOT } from "./proc.mjs";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `node scripts/start.mjs --check-services` with `env`; resolves { code, stdout, stderr }. */
function checkServices(env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs"), "--check-services"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", LIVEHALL_SKIP_INSTALL: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function localServers() {
  const [api, admin] = [await freePort(), await freePort()];
  return `local http://127.0.0.1:${api}/janus http://127.0.0.1:${admin}/admin`;
}

describe("npm run services: the media server", () => {
  test("reports the installed Janus that npm start would run", async () => {
    const result = await checkServices({ MEDIA_SERVERS: await localServers() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^✔ Janus (found|installed) \(\/\S+janus, 1\.1\.\d+\): npm start runs it at http:\/\/127\.0\.0\.1:\d+\/janus$/m,
    );
  });

  test("without Janus and without a way to install it: one line saying how, exit 1", async () => {
    // The child's PATH has neither janus nor apt-get (apt-get is looked for in PATH and the sbin folders).
    assert.ok(!SBIN.some((dir) => existsSync(path.join(dir, "apt-get"))), "apt-get must not be in an sbin folder");
    const result = await checkServices({ MEDIA_SERVERS: await localServers(), PATH: "/nonexistent" });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      /^✖ Janus \(the media server\) is not installed — install it \(Debian\/Ubuntu: `apt-get install -y janus`\), or run it with Docker \(`docker compose up -d janus`\)\.$/,
    );
  });

  test("something else on the local Janus port: one line, exit 1", async () => {
    const server = http.createServer((_request, response) => response.writeHead(404).end("not here"));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address();
      const result = await checkServices({
        MEDIA_SERVERS: `local http://127.0.0.1:${port}/janus http://127.0.0.1:${await freePort()}/admin`,
      });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(
        lines[0],
        new RegExp(`^✖ Something answers at http://127\\.0\\.0\\.1:${port}/janus that is not a usable Janus`),
      );
    } finally {
      server.close();
    }
  });

  test("a server elsewhere is only probed and reported", async () => {
    // 127.0.0.2 is loopback, but not an address Livehall runs Janus on: to the scripts it is "elsewhere".
    const url = `http://127.0.0.2:${await freePort()}`;
    const result = await checkServices({ MEDIA_SERVERS: `far ${url}/janus ${url}/admin` });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^! Media server far is not answering at ${url.replaceAll(".", "\\.")}/janus \\(connection refused\\)`,
        "m",
      ),
    );
    assert.doesNotMatch(result.stdout, /Janus (found|installed)/);
  });

  test("a malformed MEDIA_SERVERS is one line, exit 1", async () => {
    const result = await checkServices({ MEDIA_SERVERS: "local http://127.0.0.1:8088/janus" });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr.trim(),
      /^✖ MEDIA_SERVERS: "local http:\/\/127\.0\.0\.1:8088\/janus" must be "id apiUrl adminUrl"[^\n]*$/,
    );
  });
});
