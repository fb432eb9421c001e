import type { Services } from "../context";
import type { HandleSummary, JanusAdmin } from "../media/janus";
import { VIDEOROOM_PLUGIN } from "../media/janus";
import { readMediaToken } from "../media/tokens";
import {
  holdsGrant,
  issuedFeeds,
  listHandles,
  mayPublish,
  readGrants,
  syncMediaGrants,
  type MediaGrant,
} from "./media-access";
import { ROOM_DESCRIPTION_PREFIX, createRoom, roomOf } from "./media-rooms";
import { clearMediaState, mergeMediaState, readMediaState, replaceMediaState } from "./media-state";
import type { MediaFeedView } from "./participant-events";

// The media.reconcile job: makes every media server match Postgres and presence, whatever was missed
// (Janus restarted or was down when a session started or ended, an event was lost, a web process
// died mid-revocation). Idempotent: running it twice in a row changes nothing the second time.

type ReconcileServices = Pick<Services, "db" | "redis" | "keys" | "media" | "events" | "config" | "logger" | "clock">;

export interface MediaServerCounts {
  serverId: string;
  up: boolean;
  roomsCreated: number;
  roomsDestroyed: number;
  grantsRevoked: number;
  handlesDetached: number;
  publishersKicked: number;
  tokensRemoved: number;
}

async function reconcileServer(services: ReconcileServices, admin: JanusAdmin): Promise<MediaServerCounts> {
  const serverId = admin.server.id;
  const counts: MediaServerCounts = {
    serverId,
    up: true,
    roomsCreated: 0,
    roomsDestroyed: 0,
    grantsRevoked: 0,
    handlesDetached: 0,
    publishersKicked: 0,
    tokensRemoved: 0,
  };
  const live = await services.db.liveSession.findMany({
    where: { mediaServerId: serverId, status: "LIVE", mediaRoomId: { not: null } },
    select: { id: true, mediaRoomId: true, mediaRoomSecret: true },
  });
  // One slow answer is not an outage: asked twice before every class on it is marked unavailable.
  const answers = await admin.info().then(
    () => true,
    () =>
      admin.info().then(
        () => true,
        () => false,
      ),
  );
  if (!answers) {
    counts.up = false;
    for (const session of live) await replaceMediaState(services, session.id, { available: false, feeds: [] });
    return counts;
  }

  // Rooms: every live session has one; no finished session keeps one.
  const rooms = (await admin.listRooms()).filter((room) => room.description.startsWith(ROOM_DESCRIPTION_PREFIX));
  const existing = new Set(rooms.map((room) => room.room));
  const liveByRoom = new Map(live.map((session) => [Number(session.mediaRoomId), session]));
  for (const session of live) {
    counts.grantsRevoked += await syncMediaGrants(services, session.id);
    if (!existing.has(Number(session.mediaRoomId))) {
      await createRoom(services, {
        sessionId: session.id,
        serverId,
        roomId: Number(session.mediaRoomId),
        secret: session.mediaRoomSecret ?? "",
      });
      counts.roomsCreated++;
    }
  }
  const leftover = rooms.filter((room) => !liveByRoom.has(room.room));
  const finished = await services.db.liveSession.findMany({
    where: { mediaRoomId: { in: leftover.map((room) => BigInt(room.room)) } },
    select: { id: true, mediaRoomId: true, mediaRoomSecret: true },
  });
  const finishedByRoom = new Map(finished.map((session) => [Number(session.mediaRoomId), session]));
  for (const room of leftover) {
    const session = finishedByRoom.get(room.room);
    if (session) {
      counts.grantsRevoked += await syncMediaGrants(services, session.id);
      await admin.destroyRoom(room.room, session.mediaRoomSecret ?? "");
      await clearMediaState(services, session.id);
      counts.roomsDestroyed++;
    } else services.logger.warn({ serverId, room: room.room }, "media: a Livehall room no session knows; left alone");
  }

  // Handles: only stays holding a grant keep theirs, in their own session's room; only their own
  // feeds may publish or be held. What the scan found is checked again just before acting on it.
  const grantsBySession = new Map(
    await Promise.all(live.map(async (session) => [session.id, await readGrants(services, session.id)] as const)),
  );
  const stateBefore = new Map(
    await Promise.all(live.map(async (session) => [session.id, await readMediaState(services, session.id)] as const)),
  );
  const seenFeeds = new Map<string, MediaFeedView[]>(live.map((session) => [session.id, []]));
  for (const handle of await listHandles(admin)) {
    if (handle.plugin !== VIDEOROOM_PLUGIN) continue;
    const verdict = judgeHandle(services, handle, grantsBySession, liveByRoom);
    if (verdict === "keep") continue;
    if (typeof verdict === "object") {
      seenFeeds.get(verdict.sessionId)?.push(verdict.feed);
      continue;
    }
    // A grant given after the snapshot (a tab that just asked) is no reason to detach.
    if (verdict === "detach" && (await holdsGrant(services, readMediaToken(services.media.tokenKey, handle.token)))) {
      const holder = readMediaToken(services.media.tokenKey, handle.token)!;
      const session = live.find((candidate) => candidate.id === holder.sessionId);
      if (handle.room == null || Number(session?.mediaRoomId) === handle.room) continue;
    }
    if (verdict === "kick" && handle.room != null && handle.feedId != null) {
      await admin.kick(handle.room, liveByRoom.get(handle.room)?.mediaRoomSecret ?? "", handle.feedId);
      counts.publishersKicked++;
    }
    await admin.detachHandle(handle.sessionId, handle.handleId);
    counts.handlesDetached++;
  }
  for (const session of live) {
    await mergeMediaState(services, session.id, stateBefore.get(session.id)!, seenFeeds.get(session.id)!);
  }

  // Tokens: only those of live stays stay registered.
  for (const token of await admin.listTokens()) {
    if (await holdsGrant(services, readMediaToken(services.media.tokenKey, token))) continue;
    await admin.removeToken(token);
    counts.tokensRemoved++;
  }
  return counts;
}

type Verdict = "keep" | "detach" | "kick" | { sessionId: string; feed: MediaFeedView };

function judgeHandle(
  services: ReconcileServices,
  handle: HandleSummary,
  grantsBySession: Map<string, Map<string, MediaGrant>>,
  liveByRoom: Map<number, { id: string }>,
): Verdict {
  const holder = readMediaToken(services.media.tokenKey, handle.token);
  const grants = holder ? grantsBySession.get(holder.sessionId) : undefined;
  if (!holder || grants?.get(holder.connectionId)?.stay !== holder.stay) return "detach";
  // In a room at all, then only in its own session's room.
  if (handle.room == null) return "keep";
  const session = liveByRoom.get(handle.room);
  if (session?.id !== holder.sessionId) return "detach";
  if (handle.role !== "publisher" || handle.feedId == null) return "keep";
  const allowed = mayPublish(services, grants, session.id, handle.token, handle.feedId);
  // A silent publisher-type join is how every tab watches; holding an issued feed id, or sending,
  // needs the right to that feed.
  if (!allowed) return handle.publishing || issuedFeeds(grants).has(handle.feedId) ? "kick" : "keep";
  return handle.publishing ? { sessionId: session.id, feed: { id: handle.feedId, kind: allowed.kind } } : "keep";
}

/** The job's report: the servers' counts added up, and how many servers did not answer. */
export function mediaReconcileTotals(results: MediaServerCounts[]): Record<string, number> {
  const totals: Record<string, number> = { servers: results.length, serversDown: 0 };
  for (const { serverId: _serverId, up, ...counts } of results) {
    if (!up) totals.serversDown!++;
    for (const [name, value] of Object.entries(counts)) totals[name] = (totals[name] ?? 0) + value;
  }
  return totals;
}

/** Longest one server's reconcile may hold its lock (a run that dies keeps others out no longer). */
const RECONCILE_LOCK_MS = 60_000;

/** The media.reconcile job: every configured server, one after the other. */
export async function reconcileMedia(services: ReconcileServices): Promise<MediaServerCounts[]> {
  // Live sessions placed nowhere yet (started while no server was configured) get a room first.
  const unplaced = await services.db.liveSession.findMany({
    where: { status: "LIVE", mediaRoomId: null },
    select: { id: true },
  });
  for (const session of unplaced) await roomOf(services, session.id);
  const results: MediaServerCounts[] = [];
  for (const serverId of services.media.ids) {
    // One run per server at a time, across workers (a scheduled run and an admin's Run now).
    const lock = services.keys.mediaReconcileLock(serverId);
    const token = crypto.randomUUID();
    if ((await services.redis.set(lock, token, "PX", RECONCILE_LOCK_MS, "NX")) !== "OK") continue;
    try {
      results.push(await reconcileServer(services, services.media.admin(serverId)!));
    } finally {
      if ((await services.redis.get(lock)) === token) await services.redis.del(lock);
    }
  }
  return results;
}
