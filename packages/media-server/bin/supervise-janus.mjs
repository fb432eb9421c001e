#!/usr/bin/env node
// supervise-janus — runs Janus from a configuration folder and keeps it running (restarts after a
// crash, with backoff) until SIGINT/SIGTERM, then stops it cleanly and exits 0.
//
//   supervise-janus --config-dir DIR [--api-url URL] [--no-prefix]
//       DIR already holds the .jcfg files (npm start writes them to .cache/janus/).
//   supervise-janus --from-env --config-dir DIR [--bind ADDRESS] [--events-url URL]
//       writes the files from the MEDIA_* variables first (the Docker image).
//
// Node built-ins only.
import { parseArgs } from "node:util";
import { janusConfigFiles } from "../src/config.mjs";
import { localJanusOptions, mediaSettings } from "../src/settings.mjs";
import { createJanusSupervisor } from "../src/supervisor.mjs";
import { UserError } from "../src/system.mjs";
import { ensureJanusInstalled } from "../src/install.mjs";

let values;
try {
  ({ values } = parseArgs({
    options: {
      "config-dir": { type: "string" },
      "api-url": { type: "string" },
      "no-prefix": { type: "boolean", default: false },
      "from-env": { type: "boolean", default: false },
      bind: { type: "string" },
      "events-url": { type: "string" },
    },
  }));
  if (!values["config-dir"]) throw new UserError("--config-dir is required");
} catch (error) {
  console.error(
    `✖ ${error.message}. Usage: supervise-janus --config-dir DIR [--api-url URL] [--no-prefix] [--from-env [--bind ADDRESS] [--events-url URL]]`,
  );
  process.exit(2);
}

try {
  const janus = await ensureJanusInstalled();
  let files;
  let apiUrl = values["api-url"];
  if (values["from-env"]) {
    const options = localJanusOptions(mediaSettings(), { eventsUrl: values["events-url"] });
    if (!options)
      throw new UserError("--from-env needs the first of MEDIA_SERVERS to be a local server (its ports are used).");
    files = janusConfigFiles({ ...options, libDir: janus.libDir, bindAddress: values.bind ?? options.bindAddress });
    apiUrl ??= `http://127.0.0.1:${options.apiPort}${options.apiBasePath}`;
  }
  const supervisor = createJanusSupervisor({
    dir: values["config-dir"],
    files,
    janusPath: janus.path,
    apiUrl,
    prefix: values["no-prefix"] ? "" : "[janus]",
    handleSignals: true,
  });
  supervisor.events.once("stop", () => {
    process.exitCode = 0;
  });
  await supervisor.start().catch((error) => {
    // Not ready yet is not fatal: the supervisor keeps trying (and logs why).
    if (!supervisor.stopped) console.log(`${values["no-prefix"] ? "" : "[janus] "}${error.message}`);
  });
} catch (error) {
  console.error(`✖ ${error instanceof UserError ? error.message : (error?.message ?? error)}`);
  process.exit(1);
}
