// Fixtures for this package's tests (not a test file itself).
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { janusConfigFiles } from "./config.mjs";
import { findJanus } from "./install.mjs";

/** A loopback port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns something truthy; throws after `timeoutMs`. */
export async function until(check, { timeoutMs = 15_000, what = "the condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A configuration for a test Janus on free loopback ports. ICE only on `lo`, where Janus gathers
 * no candidate: no media can leave the machine.
 */
export async function testJanusSetup({ adminSecret = "test-admin" } = {}) {
  const janus = findJanus();
  if (!janus) throw new Error("Janus is not installed (npm start installs it: apt-get install -y janus)");
  const [apiPort, adminPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(tmpdir(), "lh-janus-test-"));
  const files = janusConfigFiles({
    apiPort,
    adminPort,
    adminSecret,
    roomAdminKey: "test-room-key",
    rtpPortRange: "20000-20200",
    iceInterface: "lo",
    libDir: janus.libDir,
  });
  return {
    dir,
    files,
    janusPath: janus.path,
    apiUrl: `http://127.0.0.1:${apiPort}/janus`,
    adminUrl: `http://127.0.0.1:${adminPort}/admin`,
    adminSecret,
  };
}
