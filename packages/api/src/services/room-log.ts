import type { Services } from "../context";
import { roomCounters } from "../metrics";
import { participantsChannel, type ParticipantEvent } from "./participant-events";
import { roomChannel, type ChatMessageView, type ReactionsEvent, type StoredRoomEvent } from "./room-events";

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

// Appends ARGV[2] to the stream KEYS[1] (max length ARGV[1], ttl ARGV[3] ms) and publishes it with its
// id on the channel ARGV[4]; leaves the id in `id`.
const APPEND_STEP = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], '{"id":"' .. id .. '","event":' .. ARGV[2] .. '}')`;

// KEYS: the stream. ARGV: max length, the event's JSON, ttl (ms), the channel.
const APPEND_LUA = `${APPEND_STEP}
return id`;

// KEYS: the stream, the set of messages already appended. ARGV: as APPEND_LUA, then the message id.
// Appends only the first time for that message id; returns false (nil) after that.
const APPEND_ONCE_LUA = `
if redis.call('SISMEMBER', KEYS[2], ARGV[5]) == 1 then return false end
${APPEND_STEP}
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return id`;

// KEYS: the session's participant sequence, the stream. ARGV: max length, ttl (ms), the room channel,
// the participant channel, then each event's JSON without its seq (an object with at least one field).
// Numbers the events (INCRBY), publishes each on the participant channel, and stores and publishes
// them as one `participants` event: seq order is stream order, whatever instance appends.
// Returns the first seq and the stream id.
const APPEND_PARTICIPANTS_LUA = `
local n = #ARGV - 4
local last = redis.call('INCRBY', KEYS[1], n)
local numbered = {}
for i = 1, n do
  numbered[i] = '{"seq":' .. string.format('%d', last - n + i) .. ',' .. string.sub(ARGV[4 + i], 2)
  redis.call('PUBLISH', ARGV[4], numbered[i])
end
local stored = '{"type":"participants","events":[' .. table.concat(numbered, ',') .. ']}'
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'e', stored)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], '{"id":"' .. id .. '","event":' .. stored .. '}')
return {last - n + 1, id}`;

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
  roomAppendOnce(
    key: string,
    appended: string,
    maxLength: number,
    event: string,
    ttlMs: number,
    channel: string,
    messageId: string,
  ): Promise<string | null>;
  roomAppendParticipants(
    seqKey: string,
    key: string,
    maxLength: number,
    ttlMs: number,
    roomChannel: string,
    participantsChannel: string,
    ...events: string[]
  ): Promise<[number, string]>;
  roomReplay(key: string, after: string, max: number): Promise<["snapshot", string] | ["resume", [string, string[]][]]>;
}

const withScripts = new WeakSet<Services["redis"]>();

export function roomScripts(redis: Services["redis"]): RoomScripts {
  if (!withScripts.has(redis)) {
    redis.defineCommand("roomAppend", { numberOfKeys: 1, lua: APPEND_LUA });
    redis.defineCommand("roomAppendOnce", { numberOfKeys: 2, lua: APPEND_ONCE_LUA });
    redis.defineCommand("roomAppendParticipants", { numberOfKeys: 2, lua: APPEND_PARTICIPANTS_LUA });
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A participant event before it has its place in the session's sequence. */
export type UnnumberedParticipantEvent = DistributiveOmit<ParticipantEvent, "seq">;

/**
 * Stores a posted chat message in the room stream once: a retried send of a message already there
 * appends nothing (tabs would only get a second copy), while a retry after a send whose append never
 * happened (it failed after the message was stored) appends it. Returns its id, or null.
 */
export async function appendChatPosted(
  services: Pick<Services, "redis" | "keys">,
  sessionId: string,
  message: ChatMessageView,
): Promise<string | null> {
  const id = await roomScripts(services.redis).roomAppendOnce(
    services.keys.roomStream(sessionId),
    services.keys.roomPosted(sessionId),
    ROOM_STREAM_MAX_LENGTH,
    JSON.stringify({ type: "chat.posted", message } satisfies StoredRoomEvent),
    ROOM_STREAM_TTL_MS,
    services.keys.channel(roomChannel(sessionId)),
    message.id,
  );
  if (id !== null) roomCounters.appended.inc({ type: "chat.posted" });
  return id;
}

/**
 * Numbers participant events with the session's next sequence numbers and sends them, in one script:
 * each on the participant channel (session.onParticipants), and all of them as one `participants`
 * entry of the room stream (a group-committed batch of joins is one entry). Numbering and appending
 * in one step keeps seq order and stream order the same, so a tab never sees a user's older change
 * after a newer one. Returns the events as numbered.
 */
export async function appendParticipantEvents(
  services: Pick<Services, "redis" | "keys">,
  sessionId: string,
  events: UnnumberedParticipantEvent[],
): Promise<ParticipantEvent[]> {
  if (events.length === 0) return [];
  const { keys } = services;
  const [first] = await roomScripts(services.redis).roomAppendParticipants(
    keys.participantEventSeq(sessionId),
    keys.roomStream(sessionId),
    ROOM_STREAM_MAX_LENGTH,
    ROOM_STREAM_TTL_MS,
    keys.channel(roomChannel(sessionId)),
    keys.channel(participantsChannel(sessionId)),
    ...events.map((event) => JSON.stringify(event)),
  );
  roomCounters.appended.inc({ type: "participants" });
  return events.map((event, i) => ({ ...event, seq: first + i }) as ParticipantEvent);
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
