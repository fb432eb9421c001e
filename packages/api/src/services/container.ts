import { createDb } from "@livehall/db";
import type { CoreConfig } from "../config";
import type { Services } from "../context";
import { createRedis, redisKeys } from "../redis";

/** Builds the process-wide services from validated config. */
export function createServices(config: CoreConfig): Services {
  return {
    db: createDb(config.databaseUrl),
    redis: createRedis(config.redisUrl),
    keys: redisKeys(config.redisKeyPrefix),
    config,
  };
}

export async function closeServices(services: Services): Promise<void> {
  await Promise.allSettled([services.db.$disconnect(), services.redis.quit()]);
}
