import path from "node:path";
import { fileURLToPath } from "node:url";
import { closeServices, createLogger, createServices } from "@livehall/api";
import { ConfigError, loadEnvFile, loadWebConfig, type WebConfig } from "@livehall/api/config";
import { createWebServer } from "./server/app.server";
import { openFileLimits } from "./server/file-limits.server";

function loadConfigOrExit(): WebConfig {
  loadEnvFile();
  try {
    return loadWebConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

// Run from source this file is apps/web/server.ts; in production it is bundled to apps/web/build/server.js.
const here = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.basename(here) === "build" ? path.dirname(here) : here;

const config = loadConfigOrExit();
const logger = createLogger(config, "web");
const services = createServices(config, { logger });
const web = await createWebServer({
  config,
  services,
  remix: config.env === "production" ? "build" : "vite",
  appRoot,
});
const url = await web.listen(config.port);
console.log(`Livehall web listening on ${url}`);
// Node raises the soft limit to the hard one by itself; every open room stream holds one file (its socket).
logger.info({ openFiles: openFileLimits() }, "open file limits (each room stream holds one)");

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  logger.info({ signal }, "shutting down");
  await web.close();
  await closeServices(services);
  process.exit(0);
}

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    // A second signal means the operator will not wait for the drain.
    if (stopping) process.exit(1);
    stopping = true;
    shutdown(signal).catch((error: unknown) => {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    });
  });
}
