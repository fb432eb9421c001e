import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { TEST_REDIS_URL } from "./env";

/** A key and channel prefix of its own for one test file, and a way to delete everything under it. */
export function createRedisNamespace(url = TEST_REDIS_URL): { prefix: string; clear: () => Promise<void> } {
  const prefix = `lhtest:${process.pid}:${randomBytes(4).toString("hex")}:`;
  return {
    prefix,
    clear: async () => {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          cursor = next;
          if (keys.length) await redis.unlink(...keys);
        } while (cursor !== "0");
      } finally {
        redis.disconnect();
      }
    },
  };
}
