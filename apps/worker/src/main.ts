import { closeServices, createLogger, createServices } from "@livehall/api";
import { ConfigError, loadEnvFile, loadWorkerConfig } from "@livehall/api/config";
import { redactUrl } from "@livehall/db";
import { createJobHandlers, createSessionMailHandler } from "./handlers";
import { startWorkerProbes } from "./observability";
import { startWorker } from "./worker";

async function main() {
  loadEnvFile();
  const config = loadWorkerConfig();
  const logger = createLogger(config, "worker");
  const services = createServices(config, { logger });
  const starting = startWorker({
    config,
    logger,
    handlers: createJobHandlers(services),
    sessionMail: createSessionMailHandler(services),
  });
  const probes = await startWorkerProbes(services, config.metricsPort, logger);

  // Installed before start-up completes, so a SIGTERM during start-up still shuts down cleanly.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "worker stopping: finishing running jobs");
    await (await starting).stop();
    await probes.close();
    await closeServices(services);
    logger.info("worker stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  await starting;
  logger.info(
    { redis: redactUrl(config.redisUrl), database: redactUrl(config.databaseUrl), metricsPort: probes.port },
    "worker started",
  );
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`✖ worker: ${message}`);
  process.exit(1);
});
