import { createDb } from "@livehall/db";
import { deriveTokenKeys } from "../auth/tokens";
import type { CoreConfig } from "../config";
import type { Services } from "../context";
import { createEventBus } from "../events";
import { createJobRunner } from "../jobs/runner";
import { createLogger, type Logger } from "../logger";
import { createMailer } from "../mail/mailer";
import { createMediaServers } from "../media/servers";
import { createRedis, redisKeys } from "../redis";

/** Builds the process-wide services from validated config. */
export function createServices(config: CoreConfig, options: { logger?: Logger; clock?: () => Date } = {}): Services {
  const redis = createRedis(config.redisUrl);
  const keys = redisKeys(config.redisKeyPrefix);
  const db = createDb(config.databaseUrl);
  const logger = options.logger ?? createLogger(config, "api");
  return {
    db,
    redis,
    keys,
    events: createEventBus(redis, config.redisUrl, keys),
    jobs: createJobRunner(config, keys),
    media: createMediaServers(config.media, config.authSecret),
    config,
    tokenKeys: deriveTokenKeys(config.authSecret),
    mailer: createMailer(config.mail, { db, logger }),
    logger,
    clock: options.clock ?? (() => new Date()),
  };
}

export async function closeServices(services: Services): Promise<void> {
  await Promise.allSettled([
    services.db.$disconnect(),
    services.redis.quit(),
    services.events.close(),
    services.jobs.close(),
    services.mailer.close(),
  ]);
}
