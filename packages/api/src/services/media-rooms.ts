import { randomBytes, randomInt } from "node:crypto";
import type { Services } from "../context";
import type { JanusAdmin } from "../media/janus";
import { readGrants, syncMediaGrants, tokenOf, type AccessServices } from "./media-access";
import { clearMediaState } from "./media-state";

// Rooms follow sessions: a session that goes live is placed on a media server and gets a VideoRoom
// (random id and secret, kept in Postgres, never sent to browsers); ending or cancelling destroys it.
// Janus is reached best effort here: when it is down, the media.reconcile job creates or destroys
// the room once it answers again.

type RoomServices = Pick<Services, "db" | "redis" | "keys" | "media" | "logger">;

export interface MediaRoom {
  sessionId: string;
  serverId: string;
  roomId: number;
  secret: string;
}

/** Feeds one room may publish at once: the instructor's camera and screen, with room to spare for a reconnect. */
export const ROOM_PUBLISHERS = 6;
/** Every Livehall room's description starts with it, so the reconcile job can tell ours from others'. */
export const ROOM_DESCRIPTION_PREFIX = "livehall ";

/** A random room id: below 2^48, so it is exact both as a JSON number and as a Postgres bigint. */
const newRoomId = () => randomInt(1, 2 ** 48 - 1);

/**
 * The media server a new room goes on: the configured one with the fewest live rooms. Null when
 * no server is configured (media is off).
 */
async function chooseServer(services: Pick<Services, "db" | "media">): Promise<string | null> {
  const ids = services.media.ids;
  if (ids.length <= 1) return ids[0] ?? null;
  const counts = await services.db.liveSession.groupBy({
    by: ["mediaServerId"],
    where: { status: "LIVE", mediaServerId: { in: ids } },
    _count: true,
  });
  const load = new Map(counts.map((row) => [row.mediaServerId, row._count]));
  return [...ids].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0))[0]!;
}

/** The room columns of a session that is going live (set in the same UPDATE that makes it LIVE). */
export async function newRoomPlacement(services: Pick<Services, "db" | "media">) {
  const serverId = await chooseServer(services);
  if (!serverId) return {};
  return {
    mediaServerId: serverId,
    mediaRoomId: BigInt(newRoomId()),
    mediaRoomSecret: randomBytes(24).toString("base64url"),
  };
}

/** The room of a session; a live session placed before media existed (or on a removed server) is placed now. */
export async function roomOf(services: RoomServices, sessionId: string): Promise<MediaRoom | null> {
  const session = await services.db.liveSession.findUnique({
    where: { id: sessionId },
    select: { status: true, mediaServerId: true, mediaRoomId: true, mediaRoomSecret: true },
  });
  if (!session) return null;
  if (session.mediaServerId && services.media.admin(session.mediaServerId) && session.mediaRoomId != null) {
    return {
      sessionId,
      serverId: session.mediaServerId,
      roomId: Number(session.mediaRoomId),
      secret: session.mediaRoomSecret ?? "",
    };
  }
  if (session.status !== "LIVE") return null;
  const placement = await newRoomPlacement(services);
  if (!placement.mediaServerId) return null;
  // Only the first placement wins; concurrent callers read it back.
  await services.db.liveSession.updateMany({
    where: { id: sessionId, OR: [{ mediaServerId: session.mediaServerId }, { mediaServerId: null }] },
    data: placement,
  });
  return roomOf(services, sessionId);
}

export function adminOf(services: Pick<Services, "media">, room: MediaRoom): JanusAdmin {
  const admin = services.media.admin(room.serverId);
  if (!admin) throw new Error(`media server ${room.serverId} is not configured`);
  return admin;
}

/**
 * Creates the room on its server (idempotent), letting in the tabs that already hold media rights
 * (after a Janus restart, the room comes back with the same id, secret and tokens).
 */
export async function createRoom(services: RoomServices, room: MediaRoom): Promise<void> {
  const admin = adminOf(services, room);
  const grants = await readGrants(services, room.sessionId);
  const tokens = [...grants].map(([connectionId, grant]) => tokenOf(services, room.sessionId, connectionId, grant));
  for (const token of tokens) await admin.addToken(token);
  await admin.createRoom({
    room: room.roomId,
    secret: room.secret,
    description: `${ROOM_DESCRIPTION_PREFIX}${room.sessionId}`,
    publishers: ROOM_PUBLISHERS,
    allowed: tokens,
  });
}

/** After a session went live: its room, now, if Janus answers (else the reconcile job makes it). */
export async function openRoomSoon(services: RoomServices, sessionId: string): Promise<void> {
  try {
    const room = await roomOf(services, sessionId);
    if (room) await createRoom(services, room);
  } catch (error) {
    services.logger.warn({ err: error, sessionId }, "media room not created yet; media.reconcile will retry");
  }
}

/**
 * After a session ended or was cancelled, in the background: every tab's media right revoked (tokens,
 * handles), the room destroyed, the media state forgotten. What fails, media.reconcile finishes.
 */
export function mediaSessionFinished(services: AccessServices, sessionId: string): void {
  void (async () => {
    await syncMediaGrants(services, sessionId);
    const room = await roomOf(services, sessionId);
    if (room) await adminOf(services, room).destroyRoom(room.roomId, room.secret);
    await clearMediaState(services, sessionId);
  })().catch((error: unknown) => {
    services.logger.warn({ err: error, sessionId }, "media room not closed yet; media.reconcile will retry");
  });
}
