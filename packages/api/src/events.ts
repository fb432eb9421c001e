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
 * subscribers through one shared subscriber connection.
 *
 * Pub/sub keeps nothing: whatever is published while the subscriber connection is down is lost. So
 * when that connection closes, every open subscription ends (its iteration completes) and its owner
 * starts over — a room stream resumes from its last id, a participant stream takes a new snapshot,
 * a stream following sign-out notices ends and is reopened (checking the sign-in again).
 */
export interface EventBus {
  publish(channel: string, event: unknown): Promise<void>;
  /**
   * Events of a channel until `signal` aborts, `close()` is called or the subscriber connection is
   * lost (events may have been missed: start over); Redis has confirmed the subscription before this
   * returns, for every caller, also one that subscribes while another's SUBSCRIBE is in flight. The
   * caller owns the subscription: it must `close()` it whatever happens next.
   */
  subscribe<T>(channel: string, signal: AbortSignal | undefined): Promise<EventSubscription<T>>;
  /**
   * The same as `subscribe`, delivered by a plain callback (no iterator, promise or microtask per
   * event): for fan-out to thousands of streams. `onLost` is called once if the subscriber connection
   * is lost (events may have been missed). Resolves with the release (idempotent) once Redis has
   * confirmed the subscription; the caller must call it whatever happens next.
   */
  listen<T>(channel: string, onEvent: (event: T) => void, onLost: () => void): Promise<() => void>;
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
  /** Per channel, its SUBSCRIBE (in flight or done) on the current connection: every subscriber awaits it. */
  const subscribed = new Map<string, Promise<unknown>>();
  /** The end of every open subscription: all of them end when the subscriber connection is lost. */
  const open = new Set<() => void>();
  /** Bumped whenever the subscriber connection closes. */
  let connectionLosses = 0;
  const streams = new Map<string, number>();
  let subscriber: Redis | null = null;

  const connection = () => {
    if (!subscriber) {
      subscriber = new Redis(redisUrl, {
        maxRetriesPerRequest: null,
        autoResubscribe: true,
        // A subscriber connection may not run INFO (ioredis's ready check) once it has subscribed again
        // after a reconnect: Redis answers an error that would surface as an unhandled rejection.
        enableReadyCheck: false,
        // Named, so an operator (or a test) can tell it in CLIENT LIST.
        connectionName: `${keys.prefix}events`,
      });
      subscriber.on("error", () => undefined); // reconnects by itself; outages are reported by the main client
      subscriber.on("message", (channel: string, message: string) => {
        try {
          local.emit(channel, JSON.parse(message));
        } catch {
          // A malformed message on our channel is dropped rather than crashing every stream.
        }
      });
      subscriber.on("close", () => {
        // Messages published from now until the channels are subscribed again are lost: subscribe
        // afresh (queued behind the reconnection) and end every subscription, so owners start over.
        connectionLosses++;
        subscribed.clear();
        for (const end of [...open]) end();
      });
    }
    return subscriber;
  };

  const subscribeChannel = (full: string): Promise<unknown> => {
    let done = subscribed.get(full);
    if (!done) {
      const pending = connection().subscribe(full);
      done = pending;
      subscribed.set(full, pending);
      pending.catch(() => {
        if (subscribed.get(full) === pending) subscribed.delete(full);
      });
    }
    return done;
  };

  const release = (full: string) => {
    const remaining = (refCounts.get(full) ?? 1) - 1;
    if (remaining > 0) refCounts.set(full, remaining);
    else {
      refCounts.delete(full);
      subscribed.delete(full);
      void subscriber?.unsubscribe(full).catch(() => undefined);
    }
  };

  /**
   * Takes a reference on the channel and waits until Redis has confirmed its SUBSCRIBE, also when
   * another subscriber's is still in flight: until Redis confirms it, what is published reaches no one
   * here. Resolves with whether the connection was lost meanwhile (events may have been missed); the
   * caller owns the reference and must `release` it.
   */
  const joinChannel = async (full: string): Promise<boolean> => {
    refCounts.set(full, (refCounts.get(full) ?? 0) + 1);
    const losses = connectionLosses;
    try {
      await subscribeChannel(full);
    } catch (error) {
      release(full);
      throw error;
    }
    return losses !== connectionLosses;
  };

  const count = (map: Map<string, number>) => [...map.values()].reduce((sum, n) => sum + n, 0);

  return {
    async publish(channel, event) {
      await publisher.publish(keys.channel(channel), JSON.stringify(event));
    },
    async subscribe<T>(channel: string, signal: AbortSignal | undefined) {
      const full = keys.channel(channel);
      const lostMeanwhile = await joinChannel(full);
      const stop = new AbortController();
      const until = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      // Listening starts now, so nothing published after subscribe() returns is missed.
      const iterator = on(local, full, { signal: until }) as AsyncIterableIterator<[T]>;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        stop.abort();
        release(full);
      };
      open.add(close);
      // The connection was lost while subscribing: this subscription may already have missed events.
      if (lostMeanwhile) close();
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
    async listen<T>(channel: string, onEvent: (event: T) => void, onLost: () => void) {
      const full = keys.channel(channel);
      const lostMeanwhile = await joinChannel(full);
      const handler = onEvent as (event: unknown) => void;
      local.on(full, handler);
      let released = false;
      const stop = () => {
        if (released) return false;
        released = true;
        open.delete(lost);
        local.off(full, handler);
        release(full);
        return true;
      };
      const lost = () => {
        if (stop()) onLost();
      };
      open.add(lost);
      if (lostMeanwhile) queueMicrotask(lost);
      return () => void stop();
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
