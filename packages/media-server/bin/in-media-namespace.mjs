#!/usr/bin/env node
// in-media-namespace <command> [args…] — runs a command (a media test suite) inside a private
// network namespace: loopback plus a veth pair va 10.77.0.1 ⇄ vb 10.77.0.2, a private Redis on
// 127.0.0.1:6379, Postgres through its Unix socket. Exits with the command's exit code, or 1 with
// one line saying what is missing when no namespace can be made here (never skips). Janus is
// installed first when it is missing.
import { ensureJanusInstalled } from "../src/install.mjs";
import { UserError } from "../src/system.mjs";
import { namespaceProblem, runInMediaNamespace } from "../src/namespace.mjs";

const [command, ...args] = process.argv.slice(2);
if (!command || command === "--help" || command === "-h") {
  console.log("Usage: in-media-namespace <command> [args…]");
  process.exit(command ? 0 : 2);
}

const problem = await namespaceProblem();
if (problem) {
  console.error(`✖ ${problem}`);
  process.exit(1);
}
try {
  // Installed out here: the namespace has no way to the package mirrors.
  await ensureJanusInstalled();
  process.exit(await runInMediaNamespace(command, args));
} catch (error) {
  console.error(`✖ ${error instanceof UserError ? error.message : error}`);
  process.exit(1);
}
