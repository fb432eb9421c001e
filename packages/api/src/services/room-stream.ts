import { tracked, type TrackedEnvelope } from "@trpc/server";
import type { Services, SessionUser } from "../context";
import type { EventSubscription } from "../events";
import { roomCounters } from "../metrics";
import { admitStream, notEnrolledAnymore, participantSnapshot, streamEnds, watchSignOut } from "./participants";
import { loadInteraction } from "./room-interaction";
import {
  OPEN_ROOM_EVENTS,
  roomChannel,
  type InteractionState,
  type RoomEvent,
  type StoredRoomEvent,
} from "./room-events";
import { REPLAY_MAX, roomScripts, type RoomMessage } from "./room-log";

type RoomServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

/** A stream id ("ms-seq"), as the client hands it back; anything else means "no usable id". */
const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

/**
 * Whether the viewer is in the room, as the stream tells it: their own joins and leaves and the
 * session ending, each applied once. `seq` is the last participant event applied (or already part of
 * what `joined` was read from): a change at or below it is old news — a copy, or one the read already
 * saw — and changes nothing. The browser keeps the same rule (apps/web/app/lib/room/connection.ts).
 */
export interface Membership {
  joined: boolean;
  seq: number;
}

function membershipAfter(membership: Membership, event: RoomEvent, userId: string): Membership {
  if (event.type !== "participants") return membership;
  let { joined, seq } = membership;
  for (const change of event.events) {
    if (change.seq <= seq) continue;
    seq = change.seq;
    if ((change.type === "joined" || change.type === "updated") && change.participant.userId === userId) joined = true;
    else if (change.type === "left" && change.userIds.includes(userId)) joined = false;
    else if (change.type === "status" && change.status !== "LIVE") joined = false;
  }
  return joined === membership.joined && seq === membership.seq ? membership : { joined, seq };
}

/** What one room event means for one tab: sent or not, its membership after it, and what follows. */
export interface RoomStep {
  send: boolean;
  membership: Membership;
  /** The viewer just came into the room: `interaction` follows. */
  joinedNow: boolean;
  /** The viewer was taken out of the course: the stream ends (403 NOT_ENROLLED) after this event. */
  unenrolled: boolean;
}

/** The one rule both transports of session.onRoom apply to every event, in stream order. */
export function roomStep(membership: Membership, event: RoomEvent, userId: string): RoomStep {
  const after = membershipAfter(membership, event, userId);
  let unenrolled = false;
  if (event.type === "participants") {
    for (const change of event.events) {
      if (change.type === "left" && change.reason === "UNENROLLED" && change.userIds.includes(userId))
        unenrolled = true;
    }
  }
  return {
    send: membership.joined || OPEN_ROOM_EVENTS.has(event.type),
    membership: after,
    joinedNow: after.joined && !membership.joined,
    unenrolled,
  };
}

/** The viewer's membership now: the sequence first, then the row (so every change up to it is in the row). */
async function membershipNow(services: RoomServices, sessionId: string, userId: string): Promise<Membership> {
  const seq = Number((await services.redis.get(services.keys.participantEventSeq(sessionId))) ?? 0);
  const row = await services.db.sessionParticipant.findFirst({
    where: { sessionId, userId, leftAt: null },
    select: { id: true },
  });
  return { joined: row !== null, seq };
}

/**
 * How long one participant snapshot serves every fresh stream of its session on this process: a
 * reconnect storm of thousands of tabs reads the room once a second, not once per tab. Each tab then
 * gets the stream's events after the snapshot's position, so nothing it missed is lost.
 */
export const ROOM_SNAPSHOT_CACHE_MS = 1_000;

/**
 * A participant snapshot as of a stream position (every stored event after it is not in it, or
 * seq-filtered). In a large room (ROOM_LARGE_PARTICIPANTS or more) its list holds only the first that
 * many participants — what a list can show; the count stays exact — and `members` answers "is the
 * viewer in the room" for everyone.
 */
export interface PositionedSnapshot {
  position: string;
  participants: ParticipantSnapshot;
  members: ReadonlySet<string>;
}

type ParticipantSnapshot = Awaited<ReturnType<typeof participantSnapshot>>;

const snapshotCaches = new WeakMap<object, Map<string, { expires: number; snapshot: Promise<PositionedSnapshot> }>>();

async function readSnapshot(services: RoomServices, sessionId: string): Promise<PositionedSnapshot> {
  const replay = await roomScripts(services.redis).roomReplay(services.keys.roomStream(sessionId), "", 0);
  const position = replay[0] === "snapshot" ? replay[1] : "0-0";
  const participants = await participantSnapshot(services, sessionId);
  const members = new Set(participants.participants.map((participant) => participant.userId));
  const shown = services.config.roomStream.largeRoomParticipants;
  if (participants.participants.length > shown) {
    participants.participants = participants.participants.slice(0, shown);
  }
  return { position, participants, members };
}

/** The session's snapshot, shared by every stream that opens within ROOM_SNAPSHOT_CACHE_MS (one read in flight). */
function sharedSnapshot(services: RoomServices, sessionId: string): Promise<PositionedSnapshot> {
  let cache = snapshotCaches.get(services.redis);
  if (!cache) snapshotCaches.set(services.redis, (cache = new Map()));
  const now = services.clock().getTime();
  for (const [id, entry] of cache) if (entry.expires <= now) cache.delete(id);
  const hit = cache.get(sessionId);
  if (hit) return hit.snapshot;
  const snapshot = readSnapshot(services, sessionId);
  const entry = { expires: now + ROOM_SNAPSHOT_CACHE_MS, snapshot };
  cache.set(sessionId, entry);
  // A failed read is not shared past its own callers.
  snapshot.catch(() => cache.get(sessionId) === entry && cache.delete(sessionId));
  return snapshot;
}

/** How a room stream opens: its first event, then the stored events after it, in order. */
export interface RoomOpening {
  /** The id of the first event; the tab's position after it. */
  position: string;
  first:
    | { type: "resumed"; joined: boolean; seq: number }
    | { type: "snapshot"; participants: ParticipantSnapshot; joined: boolean; interaction: InteractionState | null };
  /** Membership as of `first`: the backlog's events are stepped from it. */
  membership: Membership;
  backlog: (readonly [string, StoredRoomEvent])[];
}

/** The stored events after `after` (null: the stream no longer covers it), without messages deleted later in them. */
async function storedAfter(
  services: RoomServices,
  sessionId: string,
  after: string,
): Promise<(readonly [string, StoredRoomEvent])[] | null> {
  const replay = await roomScripts(services.redis).roomReplay(services.keys.roomStream(sessionId), after, REPLAY_MAX);
  if (replay[0] === "snapshot") return replay[1] === after ? [] : null;
  const events = replay[1].map(([id, fields]) => [id, JSON.parse(fields[1]!) as StoredRoomEvent] as const);
  // A message deleted later in what is replayed is not sent: only its deletion is.
  const deleted = new Set(events.flatMap(([, event]) => (event.type === "chat.deleted" ? [event.messageId] : [])));
  return events.filter(([, event]) => !(event.type === "chat.posted" && deleted.has(event.message.id)));
}

/**
 * Where a room stream of `user` starts, read after the caller subscribed to the room channel (so
 * every event after what is read here arrives live). Resume (`lastEventId` still covered): `resumed`
 * and exactly the events after it. Fresh: the session's shared snapshot and the events stored since.
 */
export async function openRoom(
  services: RoomServices,
  user: SessionUser,
  sessionId: string,
  lastEventId: string | null | undefined,
): Promise<RoomOpening> {
  const after = lastEventId && STREAM_ID.test(lastEventId) ? lastEventId : "";
  if (after) {
    const backlog = await storedAfter(services, sessionId, after);
    if (backlog) {
      roomCounters.opened.inc({ start: "resume" });
      const membership = await membershipNow(services, sessionId, user.id);
      return { position: after, first: { type: "resumed", ...membership }, membership, backlog };
    }
  }
  roomCounters.opened.inc({ start: "snapshot" });
  let snapshot = await sharedSnapshot(services, sessionId);
  let backlog = await storedAfter(services, sessionId, snapshot.position);
  if (!backlog) {
    // Trimmed past the shared snapshot (a very busy second): a snapshot of its own.
    snapshot = await readSnapshot(services, sessionId);
    backlog = [];
  }
  const { participants, position } = snapshot;
  const joined = snapshot.members.has(user.id);
  const interaction = joined ? await loadInteraction(services, sessionId, user.id) : null;
  return {
    position,
    first: { type: "snapshot", participants, joined, interaction },
    membership: { joined, seq: participants.seq },
    backlog,
  };
}

/**
 * session.onRoom's answer: the checked request (the procedure's middlewares and input have run). tRPC
 * iterates it (`roomEvents`); the web server's raw fan-out takes the request itself instead
 * (docs/decisions/023), so both transports run the same admission, opening and per-event rule.
 */
export class RoomStreamRequest implements AsyncIterable<TrackedEnvelope<RoomEvent>> {
  constructor(
    readonly services: RoomServices,
    readonly user: SessionUser,
    readonly sessionId: string,
    readonly lastEventId: string | null | undefined,
    private readonly signal: AbortSignal | undefined,
    /** The tab takes count-only updates (the raw fan-out's; tRPC's transport sends every change whole). */
    readonly counts = false,
  ) {}

  [Symbol.asyncIterator](): AsyncGenerator<TrackedEnvelope<RoomEvent>> {
    return roomEvents(this.services, this.user, this.sessionId, this.lastEventId, this.signal);
  }
}

/**
 * session.onRoom — every room event of one session for one tab, each tracked with its stream id.
 *
 * Fresh (no `lastEventId`, or one the stream no longer covers): a `snapshot` as of the stream's last
 * id, then every event after it. Resume (`lastEventId` still covered): `resumed`, then exactly the
 * events after that id, in order, then the live ones. Chat, questions, hands and reactions reach the
 * tab only while its user is in the room (an active participant): followed through the stream's own
 * participant events, so it costs no read per event; on joining, `interaction` brings what they
 * could not see. Admission, slot, lifetime and sign-out rules are those of session.onParticipants,
 * and so is the end of the stream when its user is taken out of the course (NOT_ENROLLED).
 */
export async function* roomEvents(
  services: RoomServices,
  user: SessionUser,
  sessionId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<TrackedEnvelope<RoomEvent>> {
  const releaseSlot = await admitStream(services, user, sessionId);
  const ends = streamEnds(services, signal);
  let live: EventSubscription<RoomMessage> | undefined;
  let signOut: Awaited<ReturnType<typeof watchSignOut>> | undefined;
  try {
    signOut = await watchSignOut(services, user, ends.signal);
    // Subscribed before the stream is read: every event after what is read arrives here.
    live = await services.events.subscribe<RoomMessage>(
      roomChannel(sessionId),
      AbortSignal.any([ends.signal, signOut.signal]),
    );
    const opening = await openRoom(services, user, sessionId, lastEventId);
    let { position, membership } = opening;
    /** One stored or live event for this tab: sent if it may see it, then `interaction` on joining. */
    async function* deliver(id: string, event: RoomEvent): AsyncGenerator<TrackedEnvelope<RoomEvent>> {
      const step = roomStep(membership, event, user.id);
      membership = step.membership;
      if (step.send) yield tracked(id, event);
      // Unenrolled: the stream ends (403 NOT_ENROLLED) after telling them.
      if (step.unenrolled) throw notEnrolledAnymore();
      if (step.joinedNow) {
        yield tracked(id, { type: "interaction", interaction: await loadInteraction(services, sessionId, user.id) });
      }
    }
    yield tracked(position, opening.first);
    for (const [id, event] of opening.backlog) {
      position = id;
      yield* deliver(id, event);
    }
    for await (const message of live) {
      if (message.id !== undefined) {
        // Already read from the stream (published between the subscription and the read).
        if (compareIds(message.id, position) <= 0) continue;
        position = message.id;
      }
      yield* deliver(position, message.event);
    }
    signOut.assertSignedIn();
  } finally {
    ends.clear();
    live?.close();
    signOut?.close();
    releaseSlot();
  }
}
