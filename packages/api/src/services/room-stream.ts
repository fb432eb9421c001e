import { tracked, type TrackedEnvelope } from "@trpc/server";
import type { Services, SessionUser } from "../context";
import type { EventSubscription } from "../events";
import { roomCounters } from "../metrics";
import type { ParticipantEvent } from "./participant-events";
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

/** Whether `userId` is in the room after `event` (their own joins and leaves, the session ending). */
function joinedAfter(joined: boolean, event: RoomEvent, userId: string): boolean {
  if (event.type !== "participants") return joined;
  return event.events.reduce((inRoom: boolean, change: ParticipantEvent) => {
    if ((change.type === "joined" || change.type === "updated") && change.participant.userId === userId) return true;
    if (change.type === "left" && change.userIds.includes(userId)) return false;
    if (change.type === "status" && change.status !== "LIVE") return false;
    return inRoom;
  }, joined);
}

async function isInRoom(services: RoomServices, sessionId: string, userId: string): Promise<boolean> {
  const row = await services.db.sessionParticipant.findFirst({
    where: { sessionId, userId, leftAt: null },
    select: { id: true },
  });
  return row !== null;
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
    let joined: boolean;
    roomCounters.opened.inc({ start: replay[0] });
    if (replay[0] === "resume") {
      joined = await isInRoom(services, sessionId, user.id);
      position = after;
      yield tracked(position, { type: "resumed", joined });
      for (const [id, fields] of replay[1]) {
        const event = JSON.parse(fields[1]!) as StoredRoomEvent;
        position = id;
        if (joined || OPEN_ROOM_EVENTS.has(event.type)) yield tracked(id, event);
      }
    } else {
      position = replay[1];
      const participants = await participantSnapshot(services, sessionId);
      joined = participants.participants.some((participant) => participant.userId === user.id);
      const interaction = joined ? await loadInteraction(services, sessionId, user.id) : null;
      yield tracked(position, { type: "snapshot", participants, joined, interaction });
    }
    for await (const message of live) {
      if (message.id !== undefined) {
        // Already read from the stream (published between the subscription and the read).
        if (compareIds(message.id, position) <= 0) continue;
        position = message.id;
      }
      const event = message.event;
      const wasJoined = joined;
      joined = joinedAfter(joined, event, user.id);
      if (wasJoined || OPEN_ROOM_EVENTS.has(event.type)) yield tracked(position, event);
      if (event.type === "participants") {
        for (const change of event.events) assertStillEnrolled(change, user.id);
      }
      if (joined && !wasJoined) {
        yield tracked(position, {
          type: "interaction",
          interaction: await loadInteraction(services, sessionId, user.id),
        });
      }
    }
    signOut.assertSignedIn();
  } finally {
    ends.clear();
    live?.close();
    signOut?.close();
    releaseSlot();
  }
}
