import { EventEmitter, on } from "node:events";
import { Redis } from "ioredis";
import type { RedisKeys } from "./redis";

/**
 * Live events across web instances: published to Redis pub/sub, delivered to this process's
 * subscribers through one shared subscriber connection (ioredis re-subscribes after reconnects).
 */
export interface EventBus {
  publish(channel: string, event: unknown): Promise<void>;
  /** Events of a channel until `signal` aborts; subscribing happens before this returns. */
  subscribe<T>(channel: string, signal: AbortSignal | undefined): Promise<AsyncIterable<T>>;
  close(): Promise<void>;
}

export function createEventBus(publisher: Redis, redisUrl: string, keys: RedisKeys): EventBus {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const refCounts = new Map<string, number>();
  let subscriber: Redis | null = null;

  const connection = () => {
    if (!subscriber) {
      subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null, autoResubscribe: true });
      subscriber.on("error", () => undefined); // reconnects by itself; outages are reported by the main client
      subscriber.on("message", (channel: string, message: string) => {
        try {
          local.emit(channel, JSON.parse(message));
        } catch {
          // A malformed message on our channel is dropped rather than crashing every stream.
        }
      });
    }
    return subscriber;
  };

  return {
    async publish(channel, event) {
      await publisher.publish(keys.channel(channel), JSON.stringify(event));
    },
    async subscribe<T>(channel: string, signal: AbortSignal | undefined) {
      const full = keys.channel(channel);
      const count = refCounts.get(full) ?? 0;
      refCounts.set(full, count + 1);
      if (count === 0) await connection().subscribe(full);
      // Listening starts now, so nothing published after subscribe() returns is missed.
      const iterator = on(local, full, signal ? { signal } : {}) as AsyncIterableIterator<[T]>;
      const release = () => {
        const remaining = (refCounts.get(full) ?? 1) - 1;
        if (remaining > 0) refCounts.set(full, remaining);
        else {
          refCounts.delete(full);
          void subscriber?.unsubscribe(full).catch(() => undefined);
        }
      };
      return (async function* () {
        try {
          for await (const [event] of iterator) yield event;
        } catch (error) {
          if ((error as { name?: string }).name !== "AbortError") throw error;
        } finally {
          release();
        }
      })();
    },
    async close() {
      subscriber?.disconnect();
      subscriber = null;
    },
  };
}
