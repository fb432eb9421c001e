import type { Services } from "../context";
import { roomCounters } from "../metrics";
import { roomChannel, type ReactionsEvent, type StoredRoomEvent } from "./room-events";

/**
 * The room stream's storage (docs/decisions/018): one Redis Stream per session holds every stored room
 * event; a Lua script appends (XADD, ids from Redis) and publishes in one step, so the order of the
 * ids is the order in which every instance's subscriber receives them. A tab resumes from the id of
 * the last event it has: exactly the events after it, in order, while they are still in the stream.
 */

/** About this many events stay in a session's stream (approximate trimming: whole radix nodes). */
export const ROOM_STREAM_MAX_LENGTH = 2_000;
/** A session's stream is dropped a day after its last event (ended sessions cost nothing). */
const ROOM_STREAM_TTL_MS = 24 * 60 * 60 * 1000;
/** The most events one resume replays (the stream holds ~2,000 plus a trimming node). */
export const REPLAY_MAX = 5_000;

// KEYS: the stream. ARGV: max length, the event's JSON, ttl (ms), the channel.
const APPEND_LUA = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], '{"id":"' .. id .. '","event":' .. ARGV[2] .. '}')
return id`;

// KEYS: the stream. ARGV: the id to resume after ('' for none), the most entries to return.
// Returns {'resume', entries} when every event after the id is still in the stream, else
// {'snapshot', the id the snapshot is as of}.
const REPLAY_LUA = `
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function le(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as <= bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'snapshot', '0-0'} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local field = {}
for i = 1, #info, 2 do field[info[i]] = info[i + 1] end
local last = field['last-generated-id']
local after = ARGV[1]
if after == '' or not le(after, last) then return {'snapshot', last} end
local first = field['first-entry']
local trimmed = field['entries-added'] ~= field['length']
if trimmed and (not first or not le(first[1], after)) then return {'snapshot', last} end
return {'resume', redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', ARGV[2])}`;

interface RoomScripts {
  roomAppend(key: string, maxLength: number, event: string, ttlMs: number, channel: string): Promise<string>;
  roomReplay(key: string, after: string, max: number): Promise<["snapshot", string] | ["resume", [string, string[]][]]>;
}

const withScripts = new WeakSet<Services["redis"]>();

export function roomScripts(redis: Services["redis"]): RoomScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand("roomAppend", { numberOfKeys: 1, lua: APPEND_LUA });
    redis.defineCommand("roomReplay", { numberOfKeys: 1, lua: REPLAY_LUA });
    withScripts.add(redis);
  }
  return redis as unknown as RoomScripts;
}

/** Stores a room event and sends it to every instance's subscribers; returns its id. */
export async function appendRoomEvent(
  services: Pick<Services, "redis" | "keys">,
  sessionId: string,
  event: StoredRoomEvent,
): Promise<string> {
  const id = await roomScripts(services.redis).roomAppend(
    services.keys.roomStream(sessionId),
    ROOM_STREAM_MAX_LENGTH,
    JSON.stringify(event),
    ROOM_STREAM_TTL_MS,
    services.keys.channel(roomChannel(sessionId)),
  );
  roomCounters.appended.inc({ type: event.type });
  return id;
}

/** Sends an event to the tabs subscribed now, without storing it (reactions). */
export function publishRoomEvent(
  services: Pick<Services, "events">,
  sessionId: string,
  event: ReactionsEvent,
): Promise<void> {
  return services.events.publish(roomChannel(sessionId), { event } satisfies RoomMessage);
}

/** What travels on the room channel: stored events with their id, the others without. */
export interface RoomMessage {
  id?: string;
  event: StoredRoomEvent | ReactionsEvent;
}
