// Keeps one Janus running: restarts it after a crash with exponential backoff and jitter, logs
// every line it prints (prefixed), and stops it cleanly. Node built-ins only.
import { EventEmitter } from "node:events";
import { janusInfo, startJanus, waitForJanus } from "./process.mjs";

/** Output lines hidden from the log: blank ones, and Janus naming every module it skips on purpose. */
const NOISE = /^\s*$|has been disabled, skipping\.\.\.$/;

/**
 * How long to wait before restart number `attempt` (0 = the first after a healthy run):
 * minDelayMs doubled per attempt, capped at maxDelayMs, then a random part of up to half of it
 * taken off ("equal jitter"), so several supervisors do not restart in step.
 */
export function restartDelay(attempt, { minDelayMs = 500, maxDelayMs = 30_000, random = Math.random } = {}) {
  const base = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (base / 2) * random());
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

function splitLines(stream, onLine) {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (pending) onLine(pending);
    pending = "";
  });
}

/**
 * A supervised Janus. Nothing runs until start().
 * @param {import("./index.d.mts").JanusSupervisorOptions} options
 * @returns {import("./index.d.mts").JanusSupervisor}
 */
export function createJanusSupervisor(options) {
  const {
    dir,
    files,
    janusPath,
    apiUrl,
    env,
    log = (line) => console.log(line),
    prefix = "[janus]",
    quiet = true,
    minDelayMs = 500,
    maxDelayMs = 30_000,
    resetAfterMs = 60_000,
    readyTimeoutMs = 30_000,
    livenessIntervalMs = 5_000,
    livenessFailures = 3,
    stopTimeoutMs = 10_000,
    random = Math.random,
    handleSignals = false,
  } = options;
  const events = new EventEmitter();
  const say = (line) => log(prefix ? `${prefix} ${line}` : line);
  const recent = [];
  let child = null;
  let ready = false;
  let stopping = false;
  let stopped = false;
  let restartTimer = null;
  let attempt = 0;
  let restarts = 0;
  let lastExit = null;
  let written = false;

  function remember(line) {
    recent.push(line);
    if (recent.length > 40) recent.shift();
  }

  function spawnJanus() {
    restartTimer = null;
    if (stopping) return;
    const startedAt = Date.now();
    // The files are written once: a restart reuses them (and any change made to them meanwhile).
    const current = startJanus({ dir, files: written ? undefined : files, janusPath, env });
    written = true;
    child = current;
    ready = false;
    let exited = false;
    let spawnError = null;
    let liveness = null;
    const onLine = (line) => {
      remember(line);
      if (!(quiet && NOISE.test(line))) say(line);
    };
    splitLines(current.stdout, onLine);
    splitLines(current.stderr, onLine);
    current.on("error", (error) => {
      spawnError = error;
    });
    current.on("close", (code, signal) => {
      exited = true;
      clearInterval(liveness);
      const uptimeMs = Date.now() - startedAt;
      if (child === current) {
        child = null;
        ready = false;
      }
      lastExit = { code, signal, uptimeMs, error: spawnError?.message };
      const cause = spawnError
        ? `could not start (${spawnError.message})`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code}`;
      if (stopping) {
        events.emit("exit", { ...lastExit, restartInMs: null });
        return;
      }
      if (uptimeMs >= resetAfterMs) attempt = 0;
      const delayMs = restartDelay(attempt, { minDelayMs, maxDelayMs, random });
      attempt += 1;
      restarts += 1;
      const last = code ? recent.findLast((line) => line.trim()) : undefined;
      say(
        `Janus ${cause} after ${seconds(uptimeMs)}${last ? ` (last line: ${last.trim()})` : ""} — restarting in ${seconds(delayMs)} (restart ${restarts})`,
      );
      events.emit("exit", { ...lastExit, restartInMs: delayMs });
      restartTimer = setTimeout(spawnJanus, delayMs);
    });
    events.emit("spawn", current);
    if (!apiUrl) return;
    waitForJanus(apiUrl, readyTimeoutMs, {
      cancelled: () => (exited ? "it exited" : stopping ? "stopping" : null),
    }).then(
      (info) => {
        if (child !== current) return;
        ready = true;
        say(`ready at ${apiUrl} (Janus ${info.version_string}, pid ${current.pid})`);
        events.emit("ready", info);
        watchLiveness(
          current,
          () => exited,
          (timer) => (liveness = timer),
        );
      },
      (error) => {
        if (exited || stopping || child !== current) return;
        // Running but never answering is no better than a crash.
        say(`${error.message}: killing it so that it restarts`);
        current.kill("SIGKILL");
      },
    );
  }

  /**
   * A Janus that runs but stops answering (a deadlock, a hung process) is no better than a crash:
   * after `livenessFailures` failed checks in a row it is killed, so that it restarts.
   */
  function watchLiveness(current, hasExited, keep) {
    let failures = 0;
    let checking = false;
    const timer = setInterval(async () => {
      if (checking || hasExited() || stopping || child !== current) return;
      checking = true;
      try {
        await janusInfo(apiUrl, { timeoutMs: Math.min(2_000, livenessIntervalMs) });
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= livenessFailures && !hasExited() && !stopping) {
          say(`not answering (${failures} checks: ${error.message}): killing it so that it restarts`);
          ready = false;
          current.kill("SIGKILL");
        }
      } finally {
        checking = false;
      }
    }, livenessIntervalMs);
    timer.unref?.();
    keep(timer);
  }

  const onSignal = (signal) => {
    say(`${signal} received: stopping Janus…`);
    void supervisor.stop();
  };

  const supervisor = {
    events,
    get child() {
      return child;
    },
    get pid() {
      return child?.pid;
    },
    get ready() {
      return ready;
    },
    get restarts() {
      return restarts;
    },
    get lastExit() {
      return lastExit;
    },
    get stopped() {
      return stopped;
    },
    recentOutput: () => [...recent],

    async start() {
      if (child || restartTimer || stopping) throw new Error("this Janus supervisor has already started");
      if (handleSignals) for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, onSignal);
      spawnJanus();
      if (apiUrl) await supervisor.waitUntilReady(readyTimeoutMs);
    },

    async waitUntilReady(timeoutMs = readyTimeoutMs) {
      if (!apiUrl) throw new Error("waitUntilReady needs the supervisor's apiUrl");
      if (ready && child) return;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          const tail = recent.slice(-5).join(" | ");
          reject(
            new Error(
              `Janus was not ready at ${apiUrl} within ${seconds(timeoutMs)}${tail ? `; last output: ${tail}` : ""}`,
            ),
          );
        }, timeoutMs);
        const onReady = () => (cleanup(), resolve(undefined));
        const onStop = () => (cleanup(), reject(new Error("the Janus supervisor was stopped")));
        const cleanup = () => {
          clearTimeout(timer);
          events.off("ready", onReady);
          events.off("stop", onStop);
        };
        events.on("ready", onReady);
        events.on("stop", onStop);
      });
    },

    /** Sends `signal` (SIGKILL: a crash) to the running Janus; resolves once it has exited. */
    async kill(signal = "SIGKILL") {
      const current = child;
      if (!current) throw new Error("no Janus is running");
      const exited = new Promise((resolve) => current.once("close", resolve));
      current.kill(signal);
      await exited;
    },

    async stop() {
      if (stopped) return;
      if (stopping) {
        await new Promise((resolve) => events.once("stop", resolve));
        return;
      }
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      const current = child;
      if (current && current.exitCode === null && current.signalCode === null) {
        const exited = new Promise((resolve) => current.once("close", resolve));
        current.kill("SIGTERM");
        const timer = setTimeout(() => {
          say(`still running ${seconds(stopTimeoutMs)} after SIGTERM: killing it`);
          current.kill("SIGKILL");
        }, stopTimeoutMs);
        await exited;
        clearTimeout(timer);
        say("Janus stopped");
      }
      if (handleSignals) for (const signal of ["SIGINT", "SIGTERM"]) process.off(signal, onSignal);
      stopped = true;
      events.emit("stop");
    },
  };
  return supervisor;
}
