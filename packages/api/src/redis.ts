import { Redis, type RedisOptions } from "ioredis";

export type { Redis };

/**
 * Redis for request paths: no offline queue and one attempt per command, so an outage answers
 * SERVICE_UNAVAILABLE at once instead of hanging requests (DESIGN.md "Presence"). Commands issued in
 * the same tick by concurrent requests (every heartbeat's revocation check and presence touch) go
 * out as one pipeline: one socket write instead of one per command.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
    ...options,
  });
}

/** Namespaced Redis key and channel names; every key the app uses is built here. */
export function redisKeys(prefix: string) {
  return {
    prefix,
    revokedFamily: (familyId: string) => `${prefix}auth:revoked:${familyId}`,
    presence: (sessionId: string) => `${prefix}presence:${sessionId}`,
    /** Index of `presence`: connections per user (hash userId → count), kept by the same Lua scripts. */
    presenceUsers: (sessionId: string) => `${prefix}presence:users:${sessionId}`,
    presenceMarker: () => `${prefix}presence:built`,
    /** Sequence of participant events per session, so a snapshot can drop deltas it already includes. */
    participantEventSeq: (sessionId: string) => `${prefix}presence:seq:${sessionId}`,
    rateLimit: (bucket: string, id: string) => `${prefix}rl:${bucket}:${id}`,
    channel: (name: string) => `${prefix}ch:${name}`,
    bullPrefix: () => `${prefix}bull`,
    jobLastRun: (name: string) => `${prefix}jobs:last:${name}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
