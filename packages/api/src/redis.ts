import type { Socket } from "node:net";
import { Redis, type RedisOptions } from "ioredis";

export type { Redis };

/**
 * Redis for request paths: no offline queue and one attempt per command, so an outage answers
 * SERVICE_UNAVAILABLE at once instead of hanging requests (docs/architecture.md#operations). Commands issued in
 * the same event-loop turn by concurrent requests (every heartbeat's revocation check and presence
 * touch) leave in one socket write (`coalesceWrites`).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
    ...options,
  });
  coalesceWrites(redis);
  return redis;
}

/**
 * Holds the connection's writes until the end of the current event-loop turn (`setImmediate`, as
 * ioredis's auto-pipelining schedules its batches), so the commands of every request handled in that
 * turn go out in one `writev`. The same batching as `enableAutoPipelining` without its cost: that
 * builds an ioredis `Pipeline` per batch, and each Pipeline defines its own `length` accessor — a
 * hidden class per instance. Hidden classes live outside the young generation, so every batch, its
 * commands and the requests awaiting them survived young-generation GCs and were promoted (~2 MB per
 * scavenge under heartbeat load, 5–10 ms pauses, frequent full GCs; measured with --trace-gc-nvp).
 * Commands are written in the order they are issued either way; only the syscall is deferred.
 */
function coalesceWrites(redis: Redis): void {
  // Each (re)connection has a new socket.
  redis.on("connect", () => {
    const stream = redis.stream as Socket;
    const write = stream.write;
    let corked = false;
    const flush = () => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      return write.apply(this, args);
    } as Socket["write"];
  });
}

/** Namespaced Redis key and channel names; every key the app uses is built here. */
export function redisKeys(prefix: string) {
  return {
    prefix,
    revokedFamily: (familyId: string) => `${prefix}auth:revoked:${familyId}`,
    staleAccessBefore: (userId: string) => `${prefix}auth:stale:${userId}`,
    presence: (sessionId: string) => `${prefix}presence:${sessionId}`,
    /** Index of `presence`: connection ids per user (hash userId → "id,id", in joining order), kept by the same Lua scripts. */
    presenceUsers: (sessionId: string) => `${prefix}presence:users:${sessionId}`,
    /** Connections closed for a newer tab of the same user (member → when), so their heartbeat says "replaced". */
    presenceReplaced: (sessionId: string) => `${prefix}presence:replaced:${sessionId}`,
    /** Connections of users who left the session everywhere (member → when), so their heartbeat says "left". */
    presenceLeft: (sessionId: string) => `${prefix}presence:left:${sessionId}`,
    /** Connections of users the instructor removed (member → when), so their heartbeat says "removed". */
    presenceRemoved: (sessionId: string) => `${prefix}presence:removed:${sessionId}`,
    presenceMarker: () => `${prefix}presence:built`,
    /** Sequence of participant events per session, so a snapshot can drop deltas it already includes. */
    participantEventSeq: (sessionId: string) => `${prefix}presence:seq:${sessionId}`,
    /** Media rights of a session's tabs: hash connectionId → grant (services/media-access.ts). */
    mediaGrants: (sessionId: string) => `${prefix}media:grants:${sessionId}`,
    /** The session's media as subscribers see it: hash feedId → feed, and "available" (services/media-state.ts). */
    mediaState: (sessionId: string) => `${prefix}media:state:${sessionId}`,
    /** Held by the worker reconciling one media server (one run per server at a time). */
    mediaReconcileLock: (serverId: string) => `${prefix}media:reconcile:${serverId}`,
    /** The session's room stream (Redis Stream, ~2,000 entries): every room event, resumable by id (docs/decisions/018). */
    roomStream: (sessionId: string) => `${prefix}room:${sessionId}`,
    /** Ids of the chat messages already stored in the session's room stream (a retried send appends nothing). */
    roomPosted: (sessionId: string) => `${prefix}room:posted:${sessionId}`,
    /** Reactions of the current second per session (hash emoji → count), sent on by one flush a second. */
    roomReactions: (sessionId: string) => `${prefix}room:reactions:${sessionId}`,
    /** Set (for one second) by the instance that flushes the session's reactions. */
    roomReactionsFlush: (sessionId: string) => `${prefix}room:reactions:flush:${sessionId}`,
    rateLimit: (bucket: string, id: string) => `${prefix}rl:${bucket}:${id}`,
    channel: (name: string) => `${prefix}ch:${name}`,
    bullPrefix: () => `${prefix}bull`,
    jobLastRun: (name: string) => `${prefix}jobs:last:${name}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
