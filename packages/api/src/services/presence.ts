import type { Services } from "../context";
import { TAKE_TOKEN_LUA } from "./room-limits";

/**
 * Presence lives in Redis, per connection (a browser tab): one sorted set per session whose members
 * are `userId:connectionId`, scored by the time they were last seen. Heartbeats touch only this.
 *
 * Beside it, an index: a hash per session of userId → that user's connection ids ("a,b"), changed
 * by the same Lua scripts in the same atomic step (join, leave, sign-out, the sweeps, the rebuild
 * after a Redis restart), in the order the connections joined. So "which tabs has this user" costs
 * O(tabs) instead of a scan of the whole session (a join or a leave in a 100,000-person session, the
 * eviction sweep's re-check); only the reconcile job scans, to repair what no script wrote. Every id
 * read from the index is checked against the set (ZSCORE) before it counts, so an id the set lost
 * (a partial flush) never keeps a row open.
 *
 * A user has at most `maxTabsPerSession` connections in a session: a join beyond it closes the
 * oldest, which is remembered for a while (`presenceReplaced`) so its next heartbeat answers
 * "replaced" instead of "rejoin" and the tab stops instead of joining back. Connections closed because
 * their user left everywhere (`presenceLeft`) or was removed by the instructor (`presenceRemoved`) are
 * remembered the same way and answer "left" / "removed". Joining again on purpose forgets the tab.
 */
type PresenceServices = Pick<Services, "redis" | "keys">;

export const member = (userId: string, connectionId: string) => `${userId}:${connectionId}`;
export const userOfMember = (value: string) => value.slice(0, value.indexOf(":"));

/** What a heartbeat's script answered (a positive number: rate-limited, retry after that many ms). */
export const TOUCHED = 0;
export const UNKNOWN = -1;
export const REPLACED = -2;
export const LEFT = -3;
export const REMOVED = -4;

// A heartbeat, in one round trip: touches a connection only if the server still knows it (else
// UNKNOWN: the client re-joins; REPLACED: a newer tab took its place; LEFT: its user left everywhere;
// REMOVED: the instructor removed its user), spending a token of the connection's own budget first
// (a positive answer: no token, retry after that many ms).
// KEYS: presence set, the connection's budget, replaced, left, removed. ARGV: member, score, burst, per second.
const TOUCH_IF_PRESENT = `${TAKE_TOKEN_LUA}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if redis.call('ZSCORE', KEYS[5], ARGV[1]) then return ${REMOVED} end
  if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return ${LEFT} end
  if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return ${REPLACED} end
  return ${UNKNOWN}
end
local wait = take_token(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[2]))
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return ${TOUCHED}`;

// Shared by the scripts below: the index value is the user's connection ids joined by commas
// (connection ids are [\w-]+), and `live` keeps only the ids whose member is still in the set.
const INDEX_HELPERS = `
local function split(csv)
  local ids = {}
  if csv then for id in string.gmatch(csv, '[^,]+') do ids[#ids + 1] = id end end
  return ids
end
local function live(set, userId, ids)
  local kept = {}
  for _, id in ipairs(ids) do
    if redis.call('ZSCORE', set, userId .. ':' .. id) then kept[#kept + 1] = id end
  end
  return kept
end
local function store(index, userId, ids)
  if #ids > 0 then redis.call('HSET', index, userId, table.concat(ids, ',')) else redis.call('HDEL', index, userId) end
end
-- The user's live connection ids, with id added last if it is new (the index keeps joining order).
local function with_connection(set, index, userId, id)
  local ids = live(set, userId, split(redis.call('HGET', index, userId)))
  for _, existing in ipairs(ids) do if existing == id then return ids end end
  ids[#ids + 1] = id
  return ids
end
-- Remembers a closed connection (member → when) in a memory set for memoryMs, forgetting older ones.
local function remember(memory, member, now, memoryMs)
  redis.call('ZADD', memory, now, member)
  redis.call('ZREMRANGEBYSCORE', memory, '-inf', '(' .. (now - memoryMs))
  redis.call('PEXPIRE', memory, memoryMs)
end
`;

// Adds or refreshes a connection; returns how many connections the user now has in the session,
// from the index (O(tabs), however many people are in the session), each checked against the set.
// Beyond the tab limit the oldest connections (first in the index) are removed and remembered as
// replaced until the memory's time is up; a tab that joins again on purpose is no longer replaced.
// A tab that joins again on purpose is no longer replaced, left or removed.
// KEYS: presence set, index, replaced, left, removed. ARGV: member, score, userId, connectionId, tab limit, memory (ms).
const ADD_AND_COUNT = `${INDEX_HELPERS}
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
local ids = with_connection(KEYS[1], KEYS[2], ARGV[3], ARGV[4])
local excess = #ids - tonumber(ARGV[5])
if excess > 0 then
  for i = 1, excess do
    local old = ARGV[3] .. ':' .. ids[i]
    redis.call('ZREM', KEYS[1], old)
    remember(KEYS[3], old, tonumber(ARGV[2]), tonumber(ARGV[6]))
  end
  ids = {unpack(ids, excess + 1)}
end
store(KEYS[2], ARGV[3], ids)
return #ids`;

// Removes a connection; returns how many connections the user has left in the session (the row
// closes on 0): the user's own index, each id checked against the set — never a scan of the session.
// KEYS: presence set, index. ARGV: userId, connectionId.
const REMOVE_AND_COUNT = `${INDEX_HELPERS}
redis.call('ZREM', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
local ids = live(KEYS[1], ARGV[1], split(redis.call('HGET', KEYS[2], ARGV[1])))
store(KEYS[2], ARGV[1], ids)
return #ids`;

// Removes every connection of one user in its index, and any further connection ids given (the
// reconcile job's scan finds connections no script indexed); returns how many were removed.
// KEYS: presence set, index. ARGV: userId, connectionId….
const REMOVE_USER = `${INDEX_HELPERS}
local ids = split(redis.call('HGET', KEYS[2], ARGV[1]))
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
local removed = 0
for _, id in ipairs(ids) do removed = removed + redis.call('ZREM', KEYS[1], ARGV[1] .. ':' .. id) end
redis.call('HDEL', KEYS[2], ARGV[1])
return removed`;

// Removes every connection of one user in its index and remembers each in a memory set (left
// everywhere, removed by the instructor), so their tabs' heartbeats say why instead of "rejoin".
// KEYS: presence set, index, memory. ARGV: userId, now, memory (ms). Returns how many were removed.
const REMOVE_USER_REMEMBERED = `${INDEX_HELPERS}
local removed = 0
for _, id in ipairs(split(redis.call('HGET', KEYS[2], ARGV[1]))) do
  local value = ARGV[1] .. ':' .. id
  removed = removed + redis.call('ZREM', KEYS[1], value)
  remember(KEYS[3], value, tonumber(ARGV[2]), tonumber(ARGV[3]))
end
redis.call('HDEL', KEYS[2], ARGV[1])
return removed`;

// Adds a placeholder connection unless the member exists (presence rebuild).
// KEYS: presence set, index. ARGV: member, score, userId, connectionId.
const RESTORE = `${INDEX_HELPERS}
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
store(KEYS[2], ARGV[3], with_connection(KEYS[1], KEYS[2], ARGV[3], ARGV[4]))
return 1`;

// How many connections each of the users has: their index entries (one HMGET per 1,000 users; a
// user with none has no connection), each indexed id checked against the set. The users come as one
// comma-separated argument (user ids are UUIDs): one bulk string instead of one argument per user.
// KEYS: presence set, index. ARGV: "userId,userId,…". Returns the counts, in the users' order.
const CONNECTION_COUNTS = `
local users = {}
for userId in string.gmatch(ARGV[1], '[^,]+') do users[#users + 1] = userId end
local counts = {}
for first = 1, #users, 1000 do
  local chunk = {unpack(users, first, math.min(first + 999, #users))}
  local indexed = redis.call('HMGET', KEYS[2], unpack(chunk))
  for i, userId in ipairs(chunk) do
    local n = 0
    if indexed[i] then
      for id in string.gmatch(indexed[i], '[^,]+') do
        if redis.call('ZSCORE', KEYS[1], userId .. ':' .. id) then n = n + 1 end
      end
    end
    counts[#counts + 1] = n
  end
end
return counts`;

type ScriptArg = string | number;
type PresenceScripts = {
  presenceTouch(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceAdd(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemove(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveUser(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveUserRemembered(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveStale(key: string, ...args: ScriptArg[]): Promise<[number, string, string]>;
  presenceRestore(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceConnectionCounts(key: string, ...args: ScriptArg[]): Promise<number[]>;
};

const withScripts = new WeakSet<Services["redis"]>();

/** The Lua scripts, registered once per connection so calls go by EVALSHA. */
function scripts(redis: Services["redis"]): PresenceScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand("presenceTouch", { numberOfKeys: 5, lua: TOUCH_IF_PRESENT });
    redis.defineCommand("presenceAdd", { numberOfKeys: 5, lua: ADD_AND_COUNT });
    redis.defineCommand("presenceRemove", { numberOfKeys: 2, lua: REMOVE_AND_COUNT });
    redis.defineCommand("presenceRemoveUser", { numberOfKeys: 2, lua: REMOVE_USER });
    redis.defineCommand("presenceRemoveUserRemembered", { numberOfKeys: 3, lua: REMOVE_USER_REMEMBERED });
    redis.defineCommand("presenceRemoveStale", { numberOfKeys: 2, lua: REMOVE_STALE });
    redis.defineCommand("presenceRestore", { numberOfKeys: 2, lua: RESTORE });
    redis.defineCommand("presenceConnectionCounts", { numberOfKeys: 2, lua: CONNECTION_COUNTS });
    withScripts.add(redis);
  }
  return redis as unknown as PresenceScripts;
}

/**
 * A heartbeat: TOUCHED, UNKNOWN, REPLACED, LEFT, REMOVED, or (a positive number) refused by the connection's
 * budget, retry after that many ms. One script call: the budget and the touch together.
 */
export async function touchConnection(
  services: PresenceServices & Pick<Services, "config">,
  sessionId: string,
  userId: string,
  connectionId: string,
  now: number,
): Promise<number> {
  const { keys } = services;
  const value = member(userId, connectionId);
  const { burst, perSecond } = services.config.roomRates.heartbeat;
  return scripts(services.redis).presenceTouch(
    keys.presence(sessionId),
    keys.rateLimit("room-heartbeat", `${sessionId}:${value}`),
    keys.presenceReplaced(sessionId),
    keys.presenceLeft(sessionId),
    keys.presenceRemoved(sessionId),
    value,
    now,
    burst,
    perSecond,
  );
}

/** How long a closed connection answers "replaced", "left" or "removed" (then "rejoin", as any unknown one). */
const closedMemoryMs = (services: Pick<Services, "config">) => 10 * services.config.timings.presenceTimeoutMs;

/** Adds (or refreshes) a connection, closing the user's oldest beyond the tab limit; returns the user's connections. */
export async function addConnection(
  services: PresenceServices & Pick<Services, "config">,
  sessionId: string,
  userId: string,
  connectionId: string,
  now: number,
): Promise<number> {
  const { keys } = services;
  return scripts(services.redis).presenceAdd(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    keys.presenceReplaced(sessionId),
    keys.presenceLeft(sessionId),
    keys.presenceRemoved(sessionId),
    member(userId, connectionId),
    now,
    userId,
    connectionId,
    services.config.maxTabsPerSession,
    closedMemoryMs(services),
  );
}

/** Removes a connection; returns how many the user has left in the session (from the user's index). */
export async function removeConnection(
  services: PresenceServices,
  sessionId: string,
  userId: string,
  connectionId: string,
): Promise<number> {
  const { keys } = services;
  return scripts(services.redis).presenceRemove(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    userId,
    connectionId,
  );
}

/**
 * Removes every connection of the user in the session (from the user's index), and `alsoConnectionIds`
 * (connections the reconcile job's scan found); returns how many were removed.
 */
export async function removeUser(
  services: PresenceServices,
  sessionId: string,
  userId: string,
  alsoConnectionIds: string[] = [],
): Promise<number> {
  const { keys } = services;
  return scripts(services.redis).presenceRemoveUser(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    userId,
    ...alsoConnectionIds,
  );
}

/**
 * Removes every connection of the user in the session and remembers them, so the tabs' heartbeats
 * answer "left" (the user left everywhere) or "removed" (the instructor removed them) for a while
 * instead of "rejoin". Returns how many were removed.
 */
export async function removeUserRemembered(
  services: PresenceServices & Pick<Services, "config">,
  sessionId: string,
  userId: string,
  why: "left" | "removed",
  now: number,
): Promise<number> {
  const { keys } = services;
  return scripts(services.redis).presenceRemoveUserRemembered(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    why === "left" ? keys.presenceLeft(sessionId) : keys.presenceRemoved(sessionId),
    userId,
    now,
    closedMemoryMs(services),
  );
}

/** Connections of each of `userIds` in the session (the index, checked: O(their tabs)), in one script call. */
export async function connectionCountsOf(
  services: PresenceServices,
  sessionId: string,
  userIds: string[],
): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const { keys } = services;
  const counts = await scripts(services.redis).presenceConnectionCounts(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    userIds.join(","),
  );
  return new Map(userIds.map((userId, i) => [userId, counts[i]!]));
}

/** Which of `userIds` have at least one connection in the session. */
export async function usersWithConnections(
  services: PresenceServices,
  sessionId: string,
  userIds: string[],
): Promise<Set<string>> {
  const counts = await connectionCountsOf(services, sessionId, userIds);
  return new Set(userIds.filter((userId) => counts.get(userId)! > 0));
}

/**
 * Connection ids per user, read from the whole set: only the reconcile job scans a session, to find
 * connections with no row (and any that no script indexed).
 */
export async function scanConnections(services: PresenceServices, sessionId: string): Promise<Map<string, string[]>> {
  const members = await services.redis.zrange(services.keys.presence(sessionId), 0, -1);
  const byUser = new Map<string, string[]>();
  for (const value of members) {
    const userId = userOfMember(value);
    const ids = byUser.get(userId) ?? [];
    ids.push(value.slice(userId.length + 1));
    byUser.set(userId, ids);
  }
  return byUser;
}

export async function clearSession(services: PresenceServices, sessionId: string): Promise<void> {
  const { keys } = services;
  await services.redis.del(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    keys.presenceReplaced(sessionId),
    keys.presenceLeft(sessionId),
    keys.presenceRemoved(sessionId),
  );
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
export async function ensurePresenceBuilt(
  services: Pick<Services, "db" | "redis" | "keys" | "clock">,
): Promise<number> {
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
    scripts(services.redis);
    const pipeline = services.redis.pipeline() as unknown as PresenceScripts & { exec(): Promise<unknown> };
    for (const row of rows) {
      const { keys } = services;
      pipeline.presenceRestore(
        keys.presence(row.sessionId),
        keys.presenceUsers(row.sessionId),
        member(row.userId, RESTORED_CONNECTION),
        now,
        row.userId,
        RESTORED_CONNECTION,
      );
    }
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
      // The marker, event sequences and per-user indexes share the prefix but are not sessions' sets.
      if (/^[0-9a-f-]{36}$/.test(sessionId)) sessionIds.add(sessionId);
    }
  } while (cursor !== "0");
  return [...sessionIds];
}

// Removes up to ARGV[2] members last seen before ARGV[1]; a heartbeat that lands while the sweep
// runs raises the score first, so its connection is no longer stale and stays. The stale members are
// the lowest ranks of the set, so one ZREMRANGEBYRANK removes exactly the ones read (same script).
// Keeps the index: one HMGET per 1,000 of the batch's users; a user whose only indexed id is the one
// just removed (one tab: the common case) is left with none without another lookup, any other user
// has each indexed id checked against the set. One HDEL for the users left with no connection, an
// HSET for each user who keeps one.
// Returns { members removed, "userId,…", "lastSeen,…" } — the users left with no connection and the
// latest score of their removed connections, as two comma-separated strings in the same order.
// KEYS: presence set, index. ARGV: cutoff, limit.
const REMOVE_STALE = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local count = #stale / 2
if count == 0 then return {0, '', ''} end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, count - 1)
local users, latest = {}, {}
for i = 1, #stale, 2 do
  local member = stale[i]
  local userId = string.sub(member, 1, string.find(member, ':', 1, true) - 1)
  local seen = latest[userId]
  if not seen then
    users[#users + 1] = userId
    latest[userId] = i
  elseif tonumber(stale[i + 1]) > tonumber(stale[seen + 1]) then
    latest[userId] = i
  end
end
local gone, goneSeen = {}, {}
for first = 1, #users, 1000 do
  local chunk = {unpack(users, first, math.min(first + 999, #users))}
  local indexed = redis.call('HMGET', KEYS[2], unpack(chunk))
  local emptied = {}
  for i, userId in ipairs(chunk) do
    local ids = indexed[i]
    local kept = nil
    if ids and not (string.find(ids, ',', 1, true) == nil and string.sub(stale[latest[userId]], #userId + 2) == ids) then
      kept = {}
      for id in string.gmatch(ids, '[^,]+') do
        if redis.call('ZSCORE', KEYS[1], userId .. ':' .. id) then kept[#kept + 1] = id end
      end
      if #kept == 0 then kept = nil end
    end
    if kept then
      redis.call('HSET', KEYS[2], userId, table.concat(kept, ','))
    else
      gone[#gone + 1] = userId
      goneSeen[#goneSeen + 1] = stale[latest[userId] + 1]
      if ids then emptied[#emptied + 1] = userId end
    end
  end
  if #emptied > 0 then redis.call('HDEL', KEYS[2], unpack(emptied)) end
end
return {count, table.concat(gone, ','), table.concat(goneSeen, ',')}`;

/** What one REMOVE_STALE call did: how many connections it removed, and the users left with none. */
export interface StaleRemoval {
  /** Connections removed (at most the limit; fewer means no stale connection is left). */
  removed: number;
  /** Users left with no connection in the session. */
  userIds: string[];
  /** For each of `userIds`, the last-seen time (ms, the Redis score) of their latest removed connection. */
  lastSeen: number[];
}

/**
 * Atomically removes up to `limit` connections silent since before `cutoff`. Users who keep another
 * connection are not reported: their row stays, and whoever removes their last connection (leave,
 * sign-out, a later batch or sweep) closes it.
 */
export async function removeStaleConnections(
  services: PresenceServices,
  sessionId: string,
  cutoff: number,
  limit: number,
): Promise<StaleRemoval> {
  const { keys } = services;
  const [removed, users, lastSeen] = await scripts(services.redis).presenceRemoveStale(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    cutoff,
    limit,
  );
  if (users === "") return { removed, userIds: [], lastSeen: [] };
  return { removed, userIds: users.split(","), lastSeen: lastSeen.split(",").map(Number) };
}
