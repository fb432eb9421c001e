import type { Services } from "../context";

/**
 * Presence lives in Redis, per connection (a browser tab): one sorted set per session whose members
 * are `userId:connectionId`, scored by the time they were last seen. Heartbeats touch only this.
 *
 * Beside it, an index: a hash per session of userId → that user's connection ids ("a,b"), changed
 * by the same Lua scripts in the same atomic step, so "which tabs has this user" costs O(tabs)
 * instead of a scan of the whole session (a join in a 100,000-person session, the eviction sweep's
 * re-check). The sorted set stays the authority: every id read from the index is checked against
 * the set (ZSCORE) before it counts, and leave and removeUser count on the set itself and write the
 * truth back, so an index that lags (a crash between commands is impossible in Lua, but a partial
 * flush is not) can never keep a row open for a connection that is gone.
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
local function index_connection(set, index, userId, id)
  local ids = live(set, userId, split(redis.call('HGET', index, userId)))
  local known = false
  for _, existing in ipairs(ids) do if existing == id then known = true end end
  if not known then ids[#ids + 1] = id end
  store(index, userId, ids)
  return #ids
end
`;

// Adds or refreshes a connection; returns how many connections the user now has in the session,
// from the index (O(tabs), however many people are in the session), each checked against the set.
// KEYS: presence set, index. ARGV: member, score, userId, connectionId.
const ADD_AND_COUNT = `${INDEX_HELPERS}
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return index_connection(KEYS[1], KEYS[2], ARGV[3], ARGV[4])`;

// Removes a connection; returns how many connections the user has left in the session, counted on
// the set itself (the row closes on 0), and writes those connections back to the index.
// KEYS: presence set, index. ARGV: member, "userId:" prefix, userId.
const REMOVE_AND_COUNT = `${INDEX_HELPERS}
redis.call('ZREM', KEYS[1], ARGV[1])
local ids = {}
for _, value in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(value, 1, string.len(ARGV[2])) == ARGV[2] then ids[#ids + 1] = string.sub(value, string.len(ARGV[2]) + 1) end
end
store(KEYS[2], ARGV[3], ids)
return #ids`;

// Removes every connection of one user; returns how many were removed.
// KEYS: presence set, index. ARGV: "userId:" prefix, userId.
const REMOVE_USER = `
local removed = 0
for _, value in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(value, 1, string.len(ARGV[1])) == ARGV[1] then
    redis.call('ZREM', KEYS[1], value)
    removed = removed + 1
  end
end
redis.call('HDEL', KEYS[2], ARGV[2])
return removed`;

// Adds a placeholder connection unless the member exists (presence rebuild).
// KEYS: presence set, index. ARGV: member, score, userId, connectionId.
const RESTORE = `${INDEX_HELPERS}
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
index_connection(KEYS[1], KEYS[2], ARGV[3], ARGV[4])
return 1`;

// Which of the users still have a connection: their index entries (one HMGET per 1,000 users; a user
// with none has no connection), each indexed id checked against the set. The users come as one
// comma-separated argument (user ids are UUIDs): one bulk string instead of one argument per user.
// KEYS: presence set, index. ARGV: "userId,userId,…". Returns the connected users.
const CONNECTED_USERS = `
local users = {}
for userId in string.gmatch(ARGV[1], '[^,]+') do users[#users + 1] = userId end
local connected = {}
for first = 1, #users, 1000 do
  local chunk = {unpack(users, first, math.min(first + 999, #users))}
  local indexed = redis.call('HMGET', KEYS[2], unpack(chunk))
  for i, userId in ipairs(chunk) do
    if indexed[i] then
      for id in string.gmatch(indexed[i], '[^,]+') do
        if redis.call('ZSCORE', KEYS[1], userId .. ':' .. id) then connected[#connected + 1] = userId break end
      end
    end
  end
end
return connected`;

type ScriptArg = string | number;
type PresenceScripts = {
  presenceTouch(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceAdd(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemove(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveUser(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceRemoveStale(key: string, ...args: ScriptArg[]): Promise<[number, string, string]>;
  presenceRestore(key: string, ...args: ScriptArg[]): Promise<number>;
  presenceConnectedUsers(key: string, ...args: ScriptArg[]): Promise<string[]>;
};

const withScripts = new WeakSet<Services["redis"]>();

/** The Lua scripts, registered once per connection so calls go by EVALSHA. */
function scripts(redis: Services["redis"]): PresenceScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand("presenceTouch", { numberOfKeys: 1, lua: TOUCH_IF_PRESENT });
    redis.defineCommand("presenceAdd", { numberOfKeys: 2, lua: ADD_AND_COUNT });
    redis.defineCommand("presenceRemove", { numberOfKeys: 2, lua: REMOVE_AND_COUNT });
    redis.defineCommand("presenceRemoveUser", { numberOfKeys: 2, lua: REMOVE_USER });
    redis.defineCommand("presenceRemoveStale", { numberOfKeys: 2, lua: REMOVE_STALE });
    redis.defineCommand("presenceRestore", { numberOfKeys: 2, lua: RESTORE });
    redis.defineCommand("presenceConnectedUsers", { numberOfKeys: 2, lua: CONNECTED_USERS });
    withScripts.add(redis);
  }
  return redis as unknown as PresenceScripts;
}

export async function touchConnection(
  services: PresenceServices,
  sessionId: string,
  userId: string,
  connectionId: string,
  now: number,
): Promise<boolean> {
  return (
    (await scripts(services.redis).presenceTouch(
      services.keys.presence(sessionId),
      member(userId, connectionId),
      now,
    )) === 1
  );
}

export async function addConnection(
  services: PresenceServices,
  sessionId: string,
  userId: string,
  connectionId: string,
  now: number,
): Promise<number> {
  const { keys } = services;
  return scripts(services.redis).presenceAdd(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    member(userId, connectionId),
    now,
    userId,
    connectionId,
  );
}

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
    member(userId, connectionId),
    `${userId}:`,
    userId,
  );
}

export async function removeUser(services: PresenceServices, sessionId: string, userId: string): Promise<number> {
  const { keys } = services;
  return scripts(services.redis).presenceRemoveUser(
    keys.presence(sessionId),
    keys.presenceUsers(sessionId),
    `${userId}:`,
    userId,
  );
}

/** Which of `userIds` have at least one connection in the session (the index, checked: O(their tabs)), in one script call. */
export async function usersWithConnections(
  services: PresenceServices,
  sessionId: string,
  userIds: string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const { keys } = services;
  return new Set(
    await scripts(services.redis).presenceConnectedUsers(
      keys.presence(sessionId),
      keys.presenceUsers(sessionId),
      userIds.join(","),
    ),
  );
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
  await services.redis.del(services.keys.presence(sessionId), services.keys.presenceUsers(sessionId));
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
