import { tracked, type TrackedEnvelope } from "@trpc/server";
import type { Services, SessionUser } from "../context";
import type { EventSubscription } from "../events";
import { roomCounters } from "../metrics";
import { admitStream, assertStillEnrolled, participantSnapshot, streamEnds, watchSignOut } from "./participants";
import { loadInteraction } from "./room-interaction";
import { OPEN_ROOM_EVENTS, roomChannel, type RoomEvent, type StoredRoomEvent } from "./room-events";
import { REPLAY_MAX, roomScripts, type RoomMessage } from "./room-log";

type RoomServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

/** A stream id ("ms-seq"), as the client hands it back; anything else means "no usable id". */
const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

function compareIds(a: string, b: string): number {
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
interface Membership {
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
    const after = lastEventId && STREAM_ID.test(lastEventId) ? lastEventId : "";
    const replay = await roomScripts(services.redis).roomReplay(services.keys.roomStream(sessionId), after, REPLAY_MAX);
    let position: string;
    let membership: Membership;
    roomCounters.opened.inc({ start: replay[0] });
    /** One stored or live event for this tab: sent if it may see it, then `interaction` on joining. */
    async function* deliver(id: string, event: RoomEvent): AsyncGenerator<TrackedEnvelope<RoomEvent>> {
      const wasJoined = membership.joined;
      membership = membershipAfter(membership, event, user.id);
      if (wasJoined || OPEN_ROOM_EVENTS.has(event.type)) yield tracked(id, event);
      // Unenrolled: the stream ends (403 NOT_ENROLLED) after telling them.
      if (event.type === "participants") {
        for (const change of event.events) assertStillEnrolled(change, user.id);
      }
      if (membership.joined && !wasJoined) {
        yield tracked(id, { type: "interaction", interaction: await loadInteraction(services, sessionId, user.id) });
      }
    }
    if (replay[0] === "resume") {
      membership = await membershipNow(services, sessionId, user.id);
      position = after;
      yield tracked(position, { type: "resumed", joined: membership.joined, seq: membership.seq });
      const events = replay[1].map(([id, fields]) => [id, JSON.parse(fields[1]!) as StoredRoomEvent] as const);
      // A message deleted later in what is replayed is not sent: only its deletion is.
      const deleted = new Set(events.flatMap(([, event]) => (event.type === "chat.deleted" ? [event.messageId] : [])));
      for (const [id, event] of events) {
        position = id;
        if (event.type === "chat.posted" && deleted.has(event.message.id)) continue;
        yield* deliver(id, event);
      }
    } else {
      position = replay[1];
      const participants = await participantSnapshot(services, sessionId);
      const joined = participants.participants.some((participant) => participant.userId === user.id);
      membership = { joined, seq: participants.seq };
      const interaction = joined ? await loadInteraction(services, sessionId, user.id) : null;
      yield tracked(position, { type: "snapshot", participants, joined, interaction });
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
