import { createLogger } from "@livehall/api";
import { redactUrl } from "@livehall/db";
import { ConfigError, loadWorkerConfig } from "@livehall/api/config";
import { createJobHandlers } from "./handlers";
import { startWorker } from "./worker";

async function main() {
  const config = loadWorkerConfig();
  const logger = createLogger(config, "worker");
  const worker = await startWorker({ config, logger, handlers: createJobHandlers(logger) });
  logger.info({ redis: redactUrl(config.redisUrl) }, "worker started");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "worker stopping: finishing running jobs");
    await worker.stop();
    logger.info("worker stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`✖ worker: ${message}`);
  process.exit(1);
});
