import type { Services } from "../context";

/**
 * Presence lives in Redis, per connection (a browser tab): one sorted set per session whose members
 * are `userId:connectionId`, scored by the time they were last seen. Heartbeats touch only this.
 */
type PresenceServices = Pick<Services, "redis" | "keys">;

export const member = (userId: string, connectionId: string) => `${userId}:${connectionId}`;
export const userOfMember = (value: string) => value.slice(0, value.indexOf(":"));

// Touches a connection only if the server still knows it; 0 tells the client to re-join.
const TOUCH_IF_PRESENT = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0`;

// Adds or refreshes a connection; returns how many connections the user now has in the session.
const ADD_AND_COUNT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local count = 0
for _, value in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(value, 1, string.len(ARGV[3])) == ARGV[3] then count = count + 1 end
end
return count`;

// Removes a connection; returns how many connections the user has left in the session.
const REMOVE_AND_COUNT = `
redis.call('ZREM', KEYS[1], ARGV[1])
local count = 0
for _, value in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(value, 1, string.len(ARGV[2])) == ARGV[2] then count = count + 1 end
end
return count`;

// Removes every connection of one user; returns how many were removed.
const REMOVE_USER = `
local removed = 0
for _, value in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(value, 1, string.len(ARGV[1])) == ARGV[1] then
    redis.call('ZREM', KEYS[1], value)
    removed = removed + 1
  end
end
return removed`;

type ScriptArg = string | number;
type PresenceScripts = {
  presenceTouch(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceAdd(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemove(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveUser(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveStale(key: string, ...args: ScriptArg[]): Promise<string[]>;
};

const withScripts = new WeakSet<Services["redis"]>();

/** The Lua scripts, registered once per connection so calls go by EVALSHA. */
function scripts(redis: Services["redis"]): PresenceScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand("presenceTouch", { numberOfKeys: 1, lua: TOUCH_IF_PRESENT });
    redis.defineCommand("presenceAdd", { numberOfKeys: 1, lua: ADD_AND_COUNT });
    redis.defineCommand("presenceRemove", { numberOfKeys: 1, lua: REMOVE_AND_COUNT });
    redis.defineCommand("presenceRemoveUser", { numberOfKeys: 1, lua: REMOVE_USER });
    redis.defineCommand("presenceRemoveStale", { numberOfKeys: 1, lua: REMOVE_STALE });
    withScripts.add(redis);
  }
  return redis as unknown as PresenceScripts;
}

export async function touchConnection(services: PresenceServices, sessionId: string, userId: string, connectionId: string, now: number): Promise<boolean> {
  return (await scripts(services.redis).presenceTouch(services.keys.presence(sessionId), member(userId, connectionId), now)) === 1;
}

export async function addConnection(services: PresenceServices, sessionId: string, userId: string, connectionId: string, now: number): Promise<number> {
  return scripts(services.redis).presenceAdd(services.keys.presence(sessionId), member(userId, connectionId), now, `${userId}:`);
}

export async function removeConnection(services: PresenceServices, sessionId: string, userId: string, connectionId: string): Promise<number> {
  return scripts(services.redis).presenceRemove(services.keys.presence(sessionId), member(userId, connectionId), `${userId}:`);
}

export async function removeUser(services: PresenceServices, sessionId: string, userId: string): Promise<number> {
  return scripts(services.redis).presenceRemoveUser(services.keys.presence(sessionId), `${userId}:`);
}

/** Connections per user in a session. */
export async function connectionCounts(services: PresenceServices, sessionId: string): Promise<Map<string, number>> {
  const members = await services.redis.zrange(services.keys.presence(sessionId), 0, -1);
  const counts = new Map<string, number>();
  for (const value of members) {
    const userId = userOfMember(value);
    counts.set(userId, (counts.get(userId) ?? 0) + 1);
  }
  return counts;
}

export async function clearSession(services: PresenceServices, sessionId: string): Promise<void> {
  await services.redis.del(services.keys.presence(sessionId));
}

/** Connection id given to participants restored after Redis lost presence (see ensurePresenceBuilt). */
export const RESTORED_CONNECTION = "restored";

/**
 * Redis keeps nothing on disk. A marker records that presence was built; when it is missing (Redis
 * restarted), every active participant gets a placeholder connection with a fresh timestamp, so
 * everyone has a full timeout to heartbeat again (their tabs re-join on "rejoin") before any
 * eviction could close their rows. Idempotent: concurrent rebuilds add the same members (NX).
 * Returns the number of connections restored (0 when presence was intact).
 */
export async function ensurePresenceBuilt(services: Pick<Services, "db" | "redis" | "keys" | "clock">): Promise<number> {
  if ((await services.redis.exists(services.keys.presenceMarker())) === 1) return 0;
  const now = services.clock().getTime();
  let restored = 0;
  let cursor: string | undefined;
  for (;;) {
    const rows = await services.db.sessionParticipant.findMany({
      where: { leftAt: null },
      select: { id: true, sessionId: true, userId: true },
      orderBy: { id: "asc" },
      take: PRESENCE_REBUILD_BATCH,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (rows.length === 0) break;
    const pipeline = services.redis.pipeline();
    for (const row of rows) pipeline.zadd(services.keys.presence(row.sessionId), "NX", now, member(row.userId, RESTORED_CONNECTION));
    await pipeline.exec();
    restored += rows.length;
    cursor = rows.at(-1)!.id;
  }
  await services.redis.set(services.keys.presenceMarker(), String(now));
  return restored;
}

const PRESENCE_REBUILD_BATCH = 2_000;

/** Every session that has presence in Redis (SCAN, never KEYS). */
export async function sessionsWithPresence(services: PresenceServices): Promise<string[]> {
  const prefix = services.keys.presence("");
  const sessionIds = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await services.redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
    cursor = next;
    for (const key of keys) {
      const sessionId = key.slice(prefix.length);
      // The marker and event sequences share the prefix but are not sessions' sets.
      if (/^[0-9a-f-]{36}$/.test(sessionId)) sessionIds.add(sessionId);
    }
  } while (cursor !== "0");
  return [...sessionIds];
}

// Removes up to ARGV[2] members last seen before ARGV[1]; a heartbeat that lands while the sweep
// runs raises the score first, so its connection is no longer stale and stays.
const REMOVE_STALE = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #stale, 2 do redis.call('ZREM', KEYS[1], stale[i]) end
return stale`;

/** Atomically removes connections silent since before `cutoff`; returns them with their last-seen times. */
export async function removeStaleConnections(services: PresenceServices, sessionId: string, cutoff: number, limit: number): Promise<{ userId: string; lastSeen: number }[]> {
  const flat = await scripts(services.redis).presenceRemoveStale(services.keys.presence(sessionId), cutoff, limit);
  const removed: { userId: string; lastSeen: number }[] = [];
  for (let i = 0; i < flat.length; i += 2) removed.push({ userId: userOfMember(flat[i]!), lastSeen: Number(flat[i + 1]) });
  return removed;
}
