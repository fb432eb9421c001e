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
};

const withScripts = new WeakSet<Services["redis"]>();

/** The Lua scripts, registered once per connection so calls go by EVALSHA. */
function scripts(redis: Services["redis"]): PresenceScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand("presenceTouch", { numberOfKeys: 1, lua: TOUCH_IF_PRESENT });
    redis.defineCommand("presenceAdd", { numberOfKeys: 1, lua: ADD_AND_COUNT });
    redis.defineCommand("presenceRemove", { numberOfKeys: 1, lua: REMOVE_AND_COUNT });
    redis.defineCommand("presenceRemoveUser", { numberOfKeys: 1, lua: REMOVE_USER });
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
