// Process helpers for the repository scripts (npm start, npm run dev, npm test).
// Node built-ins only: these run before `npm install` has put anything in node_modules.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UserError } from "../../packages/media-server/src/system.mjs";

// Shared with packages/media-server (Janus), which needs them before `npm install` too.
export { UserError, which } from "../../packages/media-server/src/system.mjs";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Colours when writing to a terminal (NO_COLOR turns them off, FORCE_COLOR on). */
export const useColor =
  process.env.NO_COLOR == null &&
  (process.env.FORCE_COLOR != null ? process.env.FORCE_COLOR !== "0" : Boolean(process.stdout.isTTY));

const paint = (code) => (text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : String(text));
export const color = {
  bold: paint("1"),
  dim: paint("2"),
  red: paint("31"),
  green: paint("32"),
  yellow: paint("33"),
  blue: paint("34"),
  magenta: paint("35"),
  cyan: paint("36"),
};

export const log = {
  step: (text) => console.log(`${color.cyan("▸")} ${text}`),
  info: (text) => console.log(`  ${text}`),
  ok: (text) => console.log(`${color.green("✔")} ${text}`),
  warn: (text) => console.error(`${color.yellow("!")} ${text}`),
  /** One readable line on stderr: the whole error report, no stack trace. */
  fail: (text) => console.error(`${color.red("✖")} ${text}`),
};

/** Exits with code 1 after printing a UserError (or any error) as readable lines, never a stack trace. */
export function exitWithError(error) {
  const message = error instanceof Error ? error.message : String(error);
  for (const line of message.split("\n")) log.fail(line);
  if (process.env.DEBUG && !(error instanceof UserError)) console.error(error);
  process.exit(1);
}

export function seconds(ms) {
  return ms < 10_000
    ? `${(ms / 1000).toFixed(1)}s`
    : ms < 120_000
      ? `${Math.round(ms / 1000)}s`
      : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/**
 * Runs a command with inherited stdio (or captured with `capture: true`) and resolves with its exit
 * code; never rejects for a non-zero exit. `input` is written to its stdin.
 */
export function run(command, args = [], { env, cwd = ROOT, capture = false, tee = false, input } = {}) {
  return new Promise((resolve) => {
    let output = "";
    let child;
    try {
      child = spawn(command, args, {
        cwd,
        env: env ?? process.env,
        stdio: [
          input != null ? "pipe" : capture ? "ignore" : "inherit",
          capture || tee ? "pipe" : "inherit",
          capture || tee ? "pipe" : "inherit",
        ],
      });
    } catch (error) {
      resolve({ code: 127, signal: null, output: String(error?.message ?? error) });
      return;
    }
    if (capture || tee) {
      // tee: shown as it comes and also kept, for callers that read the output afterwards.
      child.stdout.on("data", (chunk) => ((output += chunk), tee && process.stdout.write(chunk)));
      child.stderr.on("data", (chunk) => ((output += chunk), tee && process.stderr.write(chunk)));
    }
    if (input != null) child.stdin.end(input);
    child.on("error", (error) => {
      output += error.message;
      resolve({ code: 127, signal: null, output });
    });
    child.on("close", (code, signal) => resolve({ code: code ?? 1, signal, output }));
  });
}

/** Splits a stream into lines and writes each with a prefix (a partial last line is flushed at the end). */
export function pipeWithPrefix(stream, out, prefix) {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop();
    if (lines.length) out.write(lines.map((line) => `${prefix} ${line}\n`).join(""));
  });
  stream.on("end", () => {
    if (pending) out.write(`${prefix} ${pending}\n`);
    pending = "";
  });
}

/**
 * Runs several long-lived processes together with prefixed, coloured output until they stop.
 * - SIGINT/SIGTERM to this process are forwarded to every child (each runs in its own process
 *   group, so `npm run …` wrappers and their grandchildren receive them too); a second signal, or
 *   `graceMs` without exiting, kills what is left.
 * - If a child exits while the others still run (a crash), the others are stopped as well.
 * Resolves with the exit code to use: 0 when everything stopped cleanly after a signal, else 1
 * (or the crashed child's own non-zero code).
 */
export function runTogether(
  processes,
  { env = process.env, cwd = ROOT, graceMs = 15_000, signals = ["SIGINT", "SIGTERM"] } = {},
) {
  const palette = [color.cyan, color.magenta, color.yellow, color.blue, color.green];
  const width = Math.max(...processes.map((p) => p.name.length));
  return new Promise((resolve) => {
    const children = new Map();
    let stopping = null; // the reason we are stopping: a signal name or a crashed process name
    let exitCode = 0;
    let killTimer;

    const signalAll = (signal) => {
      for (const { child, exited } of children.values()) {
        if (exited) continue;
        try {
          process.kill(-child.pid, signal);
        } catch {
          try {
            child.kill(signal);
          } catch {
            /* already gone */
          }
        }
      }
    };

    const stopAll = (reason, signal = "SIGTERM") => {
      if (stopping) return;
      stopping = reason;
      signalAll(signal);
      killTimer = setTimeout(() => {
        log.warn(`still running after ${seconds(graceMs)}: killing`);
        signalAll("SIGKILL");
      }, graceMs);
      killTimer.unref();
    };

    const onSignal = (signal) => {
      if (stopping) {
        signalAll("SIGKILL");
        return;
      }
      const names = processes.map((p) => p.name);
      const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
      console.log(color.dim(`\n${signal} received: stopping ${list}…`));
      stopAll(signal, signal);
    };
    for (const signal of signals) process.on(signal, onSignal);

    // If this process exits for any other reason, take the children with it.
    const onExit = () => signalAll("SIGKILL");
    process.on("exit", onExit);

    processes.forEach((spec, index) => {
      const paintName = palette[index % palette.length];
      const prefix = paintName(`[${spec.name}]`.padEnd(width + 2));
      const child = spawn(spec.command, spec.args ?? [], {
        cwd: spec.cwd ?? cwd,
        env: { ...env, ...spec.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const entry = { child, exited: false };
      children.set(spec.name, entry);
      pipeWithPrefix(child.stdout, process.stdout, prefix);
      pipeWithPrefix(child.stderr, process.stderr, prefix);
      child.on("error", (error) => {
        console.error(`${prefix} ${color.red(`could not start: ${error.message}`)}`);
      });
      child.on("close", (code, signal) => {
        entry.exited = true;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!stopping) {
          // Exiting on its own while the others run is a failure, whatever the code.
          exitCode = code && code > 0 ? code : 1;
          console.error(
            `${prefix} ${color.red(`exited unexpectedly (${how})`)}${children.size > 1 ? color.red(": stopping the others") : ""}`,
          );
          stopAll(spec.name);
        } else {
          // 130/143 are how shells and npm report a child ended by SIGINT/SIGTERM.
          const clean = code === 0 || code === 130 || code === 143 || (signal != null && signal !== "SIGKILL");
          if (!clean && exitCode === 0) exitCode = code && code > 0 ? code : 1;
          console.log(`${prefix} ${color.dim(`stopped (${how})`)}`);
        }
        if ([...children.values()].every((c) => c.exited)) {
          clearTimeout(killTimer);
          for (const s of signals) process.off(s, onSignal);
          process.off("exit", onExit);
          resolve(exitCode);
        }
      });
    });
  });
}
