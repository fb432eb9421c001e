// Tests of the process helpers: prefixed output, running web + worker together, install detection.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { pipeWithPrefix } from "./proc.mjs";
import { dependencyState, webAddress } from "./setup.mjs";

const PROC = fileURLToPath(new URL("./proc.mjs", import.meta.url));

test("pipeWithPrefix prefixes every line, including a last line without a newline", async () => {
  const input = new PassThrough();
  let written = "";
  const out = { write: (text) => (written += text) };
  pipeWithPrefix(input, out, "[web]");
  input.write("one\ntw");
  input.write("o\r\nthree");
  input.end();
  await new Promise((resolve) => input.on("end", resolve));
  assert.equal(written, "[web] one\n[web] two\n[web] three\n");
});

/**
 * Runs runTogether() in a separate process (it installs signal handlers) with the given children;
 * `signal` is sent to that process once both children have printed "up".
 */
function supervise(children, { signal } = {}) {
  const program = `
    import { runTogether } from ${JSON.stringify(PROC)};
    const code = await runTogether(${JSON.stringify(children)}, { graceMs: 3000 });
    console.log("exit code " + code);
    process.exit(code);
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", program], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let sent = false;
    const onData = (chunk) => {
      output += chunk;
      if (signal && !sent && (output.match(/ up$/gm) ?? []).length === children.length) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// A child that says "up" and then waits until it is told to stop, like a server.
const server = (name) => ({
  name,
  command: process.execPath,
  // Handlers first, then "up": the test signals as soon as it reads "up".
  args: [
    "-e",
    `for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => { console.log("bye"); process.exit(0); }); console.log("up"); setInterval(() => {}, 1000);`,
  ],
});

test("runTogether forwards SIGTERM and SIGINT to both children and exits 0 when both stopped", async () => {
  for (const signal of ["SIGTERM", "SIGINT"]) {
    const { code, output } = await supervise([server("web"), server("worker")], { signal });
    assert.equal(code, 0, output);
    assert.match(output, /^\[web\] +up$/m);
    assert.match(output, /^\[worker\] up$/m);
    assert.match(output, /^\[web\] +bye$/m);
    assert.match(output, /^\[worker\] bye$/m);
    assert.match(output, /exit code 0/);
  }
});

test("runTogether stops the other process and exits non-zero when one dies", async () => {
  const crasher = {
    name: "worker",
    command: process.execPath,
    args: ["-e", `console.log("up"); setTimeout(() => process.exit(3), 300);`],
  };
  const { code, output } = await supervise([server("web"), crasher]);
  assert.equal(code, 3, output);
  assert.match(output, /\[worker\] exited unexpectedly \(code 3\): stopping the others/);
  assert.match(output, /^\[web\] +bye$/m);
});

test("runTogether treats a clean exit of one process while the other runs as a failure", async () => {
  const quitter = { name: "worker", command: process.execPath, args: ["-e", `console.log("up");`] };
  const { code, output } = await supervise([server("web"), quitter]);
  assert.equal(code, 1, output);
  assert.match(output, /\[worker\] exited unexpectedly \(code 0\)/);
});

test("dependencyState: missing, stale when package-lock.json is newer than the last install, else ok", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lh-deps-"));
  try {
    writeFileSync(path.join(dir, "package-lock.json"), "{}");
    assert.equal(dependencyState(dir), "missing");
    mkdirSync(path.join(dir, "node_modules"));
    assert.equal(dependencyState(dir), "stale");
    writeFileSync(path.join(dir, "node_modules", ".package-lock.json"), "{}");
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, "package-lock.json"), earlier, earlier);
    assert.equal(dependencyState(dir), "ok");
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, "package-lock.json"), later, later);
    assert.equal(dependencyState(dir), "stale");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("webAddress: every interface in production, loopback otherwise; localhost shown; PORT honoured", () => {
  assert.equal(webAddress({}).host, "127.0.0.1");
  assert.equal(webAddress({ NODE_ENV: "development" }).host, "127.0.0.1");
  assert.deepEqual(webAddress({ NODE_ENV: "production" }), {
    port: 3000,
    host: "0.0.0.0",
    connectHost: "127.0.0.1",
    url: "http://localhost:3000",
  });
  assert.equal(webAddress({ PORT: "4100" }).url, "http://localhost:4100");
  assert.equal(webAddress({ HOST: "::1", PORT: "4100" }).url, "http://[::1]:4100");
});
