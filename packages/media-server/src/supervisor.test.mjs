// The supervisor, with a real Janus on free loopback ports (ICE on lo only: no media anywhere).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { probeJanus, janusInfo, writeJanusConfig } from "./process.mjs";
import { createJanusSupervisor, restartDelay } from "./supervisor.mjs";
import { isAlive, testJanusSetup, until } from "./fixtures.mjs";

const CLI = fileURLToPath(new URL("../bin/supervise-janus.mjs", import.meta.url));
const dirs = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("restartDelay", () => {
  test("doubles from the minimum up to the maximum, with up to half taken off at random", () => {
    const none = () => 1;
    assert.deepEqual(
      [0, 1, 2, 3, 6, 7, 20].map((attempt) => restartDelay(attempt, { random: none })),
      [500, 1000, 2000, 4000, 30_000, 30_000, 30_000],
    );
    assert.equal(restartDelay(0, { random: () => 0 }), 250);
    assert.equal(restartDelay(3, { random: () => 0.5 }), 3000);
    assert.equal(restartDelay(100, { minDelayMs: 10, maxDelayMs: 80, random: none }), 80);
  });
});

/** A supervisor (not started) of a fresh test Janus, restarting after 100 ms, with its log lines and exits. */
async function supervised(setupOptions, options = {}) {
  const setup = await testJanusSetup(setupOptions);
  dirs.push(setup.dir);
  const lines = [];
  const exits = [];
  const supervisor = createJanusSupervisor({
    ...setup,
    log: (line) => lines.push(line),
    minDelayMs: 100,
    random: () => 1,
    ...options,
  });
  supervisor.events.on("exit", (exit) => exits.push(exit));
  return { setup, supervisor, lines, exits };
}

describe("createJanusSupervisor", () => {
  test("brings Janus back after a crash, logging the cause, and stops it for good", async () => {
    // A secret full of characters libconfig must escape: the admin API accepting it proves the quoting.
    const { setup, supervisor, lines, exits } = await supervised(
      { adminSecret: 'se"cr\\et with spaces' },
      { resetAfterMs: 3_600_000 },
    );
    try {
      await supervisor.start();
      assert.ok(supervisor.ready);
      const first = supervisor.pid;
      assert.equal((await janusInfo(setup.apiUrl)).version_string.split(".")[0], "1");
      assert.deepEqual(await probeJanus(setup.apiUrl, setup), { state: "ready", version: "1.1.2" });
      assert.equal((await probeJanus(setup.apiUrl, { ...setup, adminSecret: "wrong" })).state, "wrong-secret");
      assert.ok(
        lines.every((line) => line.startsWith("[janus] ")),
        "every line is prefixed",
      );
      assert.ok(!lines.some((line) => /has been disabled/.test(line)), "the skipped-module lines are hidden");

      await supervisor.kill("SIGKILL");
      await supervisor.waitUntilReady();
      const second = supervisor.pid;
      assert.notEqual(second, first);
      assert.ok(!isAlive(first));
      assert.equal(supervisor.restarts, 1);
      assert.equal(exits[0].signal, "SIGKILL");
      assert.equal(exits[0].restartInMs, 100);
      assert.ok(
        lines.some((line) =>
          /^\[janus\] Janus was killed by SIGKILL after .* — restarting in 0\.1s \(restart 1\)$/.test(line),
        ),
        lines.join("\n"),
      );
      assert.equal((await probeJanus(setup.apiUrl, setup)).state, "ready");

      // A second crash soon after: the delay doubles.
      await supervisor.kill("SIGKILL");
      await supervisor.waitUntilReady();
      assert.equal(exits[1].restartInMs, 200);
      assert.equal(supervisor.restarts, 2);

      const last = supervisor.pid;
      await supervisor.stop();
      assert.ok(supervisor.stopped);
      assert.equal(supervisor.child, null);
      assert.ok(!isAlive(last), "Janus is gone after stop()");
      assert.equal(exits.at(-1).restartInMs, null, "no restart after stop()");
      assert.equal((await probeJanus(setup.apiUrl)).state, "unreachable");
    } finally {
      await supervisor.stop();
    }
  });

  test("a Janus that hangs (SIGSTOP) is killed after failed checks and comes back", async () => {
    const { setup, supervisor, lines } = await supervised({}, { livenessIntervalMs: 300, livenessFailures: 3 });
    try {
      await supervisor.start();
      const hung = supervisor.pid;
      process.kill(hung, "SIGSTOP");
      await until(() => supervisor.restarts === 1 && supervisor.ready, {
        what: "the hung Janus replaced",
        timeoutMs: 20_000,
      });
      assert.notEqual(supervisor.pid, hung);
      assert.ok(!isAlive(hung), "the hung process was killed");
      assert.ok(
        lines.some((line) => /^\[janus\] not answering \(3 checks: .*\): killing it so that it restarts$/.test(line)),
        lines.join("\n"),
      );
      assert.equal((await probeJanus(setup.apiUrl)).state, "ready");
    } finally {
      await supervisor.stop();
    }
  });

  test("a run longer than resetAfterMs starts the delays again from the minimum", async () => {
    const { supervisor, exits } = await supervised({}, { resetAfterMs: 0 });
    try {
      await supervisor.start();
      for (let i = 0; i < 2; i++) {
        await supervisor.kill("SIGKILL");
        await supervisor.waitUntilReady();
      }
      assert.deepEqual(
        exits.map((exit) => exit.restartInMs),
        [100, 100],
      );
    } finally {
      await supervisor.stop();
    }
  });
});

/** Starts the CLI; resolves { child, output(), janusPid } once it logged that Janus is ready. */
async function startCli(setup) {
  writeJanusConfig(setup.dir, setup.files);
  const child = spawn(process.execPath, [CLI, "--config-dir", setup.dir, "--api-url", setup.apiUrl], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const closed = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const match = await until(() => /\[janus\] ready at \S+ \(Janus [\d.]+, pid (\d+)\)/.exec(output), {
    what: "the CLI's ready line",
  });
  return { child, closed, output: () => output, janusPid: Number(match[1]) };
}

describe("supervise-janus (the CLI npm start runs)", () => {
  test("SIGINT stops Janus cleanly and exits 0", async () => {
    const setup = await testJanusSetup();
    dirs.push(setup.dir);
    const cli = await startCli(setup);
    assert.ok(isAlive(cli.janusPid));
    cli.child.kill("SIGINT");
    assert.deepEqual(await cli.closed, { code: 0, signal: null });
    assert.ok(!isAlive(cli.janusPid), "no Janus left running");
    assert.match(cli.output(), /\[janus\] Janus stopped/);
  });

  test("a killed supervisor takes its Janus with it", async () => {
    const setup = await testJanusSetup();
    dirs.push(setup.dir);
    const cli = await startCli(setup);
    cli.child.kill("SIGKILL");
    await cli.closed;
    await until(() => !isAlive(cli.janusPid), { what: `Janus (pid ${cli.janusPid}) to exit after its parent died` });
  });
});
