import { EventEmitter, on } from "node:events";
import { Redis } from "ioredis";
import type { RedisKeys } from "./redis";

/** One subscription to a channel: its events, and a close that always releases the Redis channel. */
export interface EventSubscription<T> extends AsyncIterable<T> {
  /** Ends the events and releases the channel; idempotent. Call it in a `finally`. */
  close(): void;
}

/**
 * Live events across web instances: published to Redis pub/sub, delivered to this process's
 * subscribers through one shared subscriber connection (ioredis re-subscribes after reconnects).
 */
export interface EventBus {
  publish(channel: string, event: unknown): Promise<void>;
  /**
   * Events of a channel until `signal` aborts or `close()` is called; subscribing happens before
   * this returns. The caller owns the subscription: it must `close()` it whatever happens next.
   */
  subscribe<T>(channel: string, signal: AbortSignal | undefined): Promise<EventSubscription<T>>;
  /**
   * Takes one of `owner`'s open-stream slots on this instance: a release function (idempotent), or
   * null when `owner` already holds `max`.
   */
  acquireStream(owner: string, max: number): (() => void) | null;
  /** Open subscriptions, Redis channels subscribed and stream slots held on this instance. */
  stats(): { subscribers: number; channels: number; streams: number };
  close(): Promise<void>;
}

export function createEventBus(publisher: Redis, redisUrl: string, keys: RedisKeys): EventBus {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const refCounts = new Map<string, number>();
  const streams = new Map<string, number>();
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

  const release = (full: string) => {
    const remaining = (refCounts.get(full) ?? 1) - 1;
    if (remaining > 0) refCounts.set(full, remaining);
    else {
      refCounts.delete(full);
      void subscriber?.unsubscribe(full).catch(() => undefined);
    }
  };

  const count = (map: Map<string, number>) => [...map.values()].reduce((sum, n) => sum + n, 0);

  return {
    async publish(channel, event) {
      await publisher.publish(keys.channel(channel), JSON.stringify(event));
    },
    async subscribe<T>(channel: string, signal: AbortSignal | undefined) {
      const full = keys.channel(channel);
      const previous = refCounts.get(full) ?? 0;
      refCounts.set(full, previous + 1);
      try {
        if (previous === 0) await connection().subscribe(full);
      } catch (error) {
        release(full);
        throw error;
      }
      const stop = new AbortController();
      const until = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      // Listening starts now, so nothing published after subscribe() returns is missed.
      const iterator = on(local, full, { signal: until }) as AsyncIterableIterator<[T]>;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        stop.abort();
        release(full);
      };
      return {
        close,
        async *[Symbol.asyncIterator]() {
          try {
            for await (const [event] of iterator) yield event;
          } catch (error) {
            if ((error as { name?: string }).name !== "AbortError") throw error;
          } finally {
            close();
          }
        },
      };
    },
    acquireStream(owner, max) {
      const held = streams.get(owner) ?? 0;
      if (held >= max) return null;
      streams.set(owner, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const remaining = (streams.get(owner) ?? 1) - 1;
        if (remaining > 0) streams.set(owner, remaining);
        else streams.delete(owner);
      };
    },
    stats() {
      return { subscribers: count(refCounts), channels: refCounts.size, streams: count(streams) };
    },
    async close() {
      subscriber?.disconnect();
      subscriber = null;
    },
  };
}
