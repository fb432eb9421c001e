import type { Services } from "../context";
import { publisherEvents } from "../media/janus";
import { issuedFeeds, mayPublish, readGrants } from "./media-access";
import { adminOf, type MediaRoom } from "./media-rooms";
import { feedStarted, feedsStopped } from "./media-state";

// Janus's event handler posts what happens in its rooms to the web server (POST /media/events).
// VideoRoom's tokens decide who may enter a room, not who may publish in it: so every new publisher
// is checked here against the grants (docs/decisions/017). Anything but the instructor's (or an
// admin's) tab sending a feed id issued to that very tab is kicked and its handle detached before
// subscribers are told the feed exists; allowed feeds become the session's media state.

type EventServices = Pick<Services, "db" | "redis" | "keys" | "media" | "events" | "logger" | "clock">;

export interface MediaEventOutcome {
  published: number;
  stopped: number;
  kicked: number;
}

async function roomByJanusId(services: Pick<Services, "db" | "media">, roomId: number): Promise<MediaRoom | null> {
  const session = await services.db.liveSession.findUnique({
    where: { mediaRoomId: BigInt(roomId) },
    select: { id: true, mediaServerId: true, mediaRoomSecret: true },
  });
  if (!session?.mediaServerId || !services.media.admin(session.mediaServerId)) return null;
  return { sessionId: session.id, serverId: session.mediaServerId, roomId, secret: session.mediaRoomSecret ?? "" };
}

/** Handles one POST of Janus's event handler; anything but VideoRoom publisher events is ignored. */
export async function handleMediaEvents(services: EventServices, body: unknown): Promise<MediaEventOutcome> {
  const outcome: MediaEventOutcome = { published: 0, stopped: 0, kicked: 0 };
  for (const event of publisherEvents(body)) {
    const room = await roomByJanusId(services, event.room);
    if (!room) continue;
    if (event.kind === "unpublished") {
      await feedsStopped(services, room.sessionId, [event.feedId]);
      outcome.stopped++;
      continue;
    }
    const grants = await readGrants(services, room.sessionId);
    // Every tab joins as a (silent) publisher to watch: only a join under an issued feed id is checked,
    // so nobody can hold the instructor's feed id to keep them from going live.
    if (event.kind === "joined" && !issuedFeeds(grants).has(event.feedId)) continue;
    const admin = adminOf(services, room);
    const handle = await admin.handleInfo(event.sessionId, event.handleId);
    const allowed = handle ? mayPublish(services, grants, room.sessionId, handle.token, event.feedId) : null;
    if (!allowed) {
      await admin.kick(room.roomId, room.secret, event.feedId);
      if (handle) await admin.detachHandle(handle.sessionId, handle.handleId);
      services.logger.warn(
        { sessionId: room.sessionId, feedId: event.feedId, event: event.kind },
        "media: kicked a publisher without the right to that feed",
      );
      outcome.kicked++;
      continue;
    }
    if (event.kind === "published") {
      await feedStarted(services, room.sessionId, { id: event.feedId, kind: allowed.kind });
      outcome.published++;
    }
  }
  return outcome;
}
