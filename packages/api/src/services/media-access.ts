import { createHmac, randomInt } from "node:crypto";
import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import type { HandleSummary, JanusAdmin } from "../media/janus";
import { JanusError } from "../media/janus";
import { mintMediaToken, newStay, readMediaToken, type MediaTokenHolder } from "../media/tokens";
import { assertRoomAccess } from "./enrollment";
import { adminOf, createRoom, roomOf, type MediaRoom } from "./media-rooms";
import { MEDIA_KEYS_TTL_SECONDS, feedsStopped } from "./media-state";
import { member } from "./presence";
import { spendRoomBudget } from "./room-limits";

// Media rights come from presence (docs/decisions/017). A joined tab asks session.media and gets a
// Janus token of its own (registered with Janus and in its room's allow list) and, for the course's
// instructor or an admin, the two feed ids it may publish under. The grant lives as long as the tab
// is in the session: when the tab leaves, is removed, replaced, evicted or signed out, or the session
// ends, the grant is revoked — token removed from Janus and the tab's handles detached. Each stay of
// a tab (from joining to leaving) has a token of its own, so revoking a stay that ended never touches
// the next one.

export type AccessServices = Pick<
  Services,
  "db" | "redis" | "keys" | "media" | "events" | "config" | "logger" | "clock"
>;

export type MediaRole = "publisher" | "subscriber";

/** One tab's media right, as kept in the session's grants hash. */
export interface MediaGrant {
  userId: string;
  /** This stay's id, part of its token. */
  stay: string;
  role: MediaRole;
  /** The feed ids a publisher may use; none for a subscriber. */
  feeds: { camera: number; screen: number } | null;
}

export interface MediaAccess {
  serverId: string;
  /** Where the browser sends Janus API requests: this server's proxy, or MEDIA_PUBLIC_URL. */
  apiUrl: string;
  roomId: number;
  token: string;
  role: MediaRole;
  feeds: { camera: number; screen: number } | null;
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}

const NOT_IN_SESSION_MESSAGE = "Join the session first: media is for people in the room.";

/** TURN credentials handed to a browser last this long (coturn's time-limited credentials). */
const TURN_CREDENTIAL_TTL_SECONDS = 12 * 60 * 60;

export async function readGrants(
  services: Pick<Services, "redis" | "keys">,
  sessionId: string,
): Promise<Map<string, MediaGrant>> {
  const hash = await services.redis.hgetall(services.keys.mediaGrants(sessionId));
  const grants = new Map<string, MediaGrant>();
  for (const [connectionId, value] of Object.entries(hash)) {
    try {
      grants.set(connectionId, JSON.parse(value) as MediaGrant);
    } catch {
      // A grant that cannot be read grants nothing; the next sync deletes it.
      grants.set(connectionId, { userId: "", stay: "", role: "subscriber", feeds: null });
    }
  }
  return grants;
}

/** Every feed id issued in the session: the ones a participant may only use with the token it was issued to. */
export function issuedFeeds(grants: Map<string, MediaGrant>): Set<number> {
  return new Set(
    [...grants.values()].flatMap((grant) => (grant.feeds ? [grant.feeds.camera, grant.feeds.screen] : [])),
  );
}

/** A feed id Janus accepts (a positive integer) that is exact in JSON. */
const newFeedId = () => randomInt(1, 2 ** 48 - 1);

function iceServers(services: Pick<Services, "config" | "clock">, userId: string): MediaAccess["iceServers"] {
  const { iceServers: urls, turnSecret } = services.config.media;
  if (urls.length === 0) return [];
  const stun = urls.filter((url) => url.startsWith("stun:"));
  const turn = urls.filter((url) => url.startsWith("turn:") || url.startsWith("turns:"));
  const servers: MediaAccess["iceServers"] = [];
  if (stun.length > 0) servers.push({ urls: stun });
  if (turn.length > 0) {
    if (turnSecret) {
      // coturn's REST API scheme: username "<expiry>:<user>", password base64(HMAC-SHA1(secret, username)).
      const username = `${Math.floor(services.clock().getTime() / 1000) + TURN_CREDENTIAL_TTL_SECONDS}:${userId}`;
      const credential = createHmac("sha1", turnSecret).update(username).digest("base64");
      servers.push({ urls: turn, username, credential });
    } else servers.push({ urls: turn });
  }
  return servers;
}

function apiUrlOf(services: Pick<Services, "config">, serverId: string): string {
  const { publicUrl } = services.config.media;
  return publicUrl ? publicUrl.replaceAll("{server}", serverId) : `/media/${serverId}/janus`;
}

async function isPresent(
  services: Pick<Services, "redis" | "keys">,
  sessionId: string,
  userId: string,
  connectionId: string,
) {
  return (await services.redis.zscore(services.keys.presence(sessionId), member(userId, connectionId))) != null;
}

/**
 * session.media — the media right of one joined tab: its Janus token (the same for the tab's whole
 * stay), the room, and its role. 403 NOT_IN_SESSION for a tab that is not in the session; 503
 * MEDIA_UNAVAILABLE when the session's media server does not answer (the room says so and retries).
 */
export async function mediaAccess(
  services: AccessServices,
  user: SessionUser,
  sessionId: string,
  connectionId: string,
): Promise<MediaAccess> {
  await spendRoomBudget(services, "media", user.id);
  // Only people with access to the course's rooms ever get a right (docs/decisions/020): a tab of
  // someone taken out of the course is no longer present either, but the answer says why.
  await assertRoomAccess(services, user, sessionId);
  if (!(await isPresent(services, sessionId, user.id, connectionId))) {
    throw appError("FORBIDDEN", Reason.NOT_IN_SESSION, NOT_IN_SESSION_MESSAGE);
  }
  const session = await services.db.liveSession.findUnique({
    where: { id: sessionId },
    select: { status: true, course: { select: { instructorId: true } } },
  });
  if (session?.status !== "LIVE") throw appError("FORBIDDEN", Reason.NOT_IN_SESSION, NOT_IN_SESSION_MESSAGE);
  const room = await roomOf(services, sessionId);
  if (!room) throw mediaUnavailable();
  const role: MediaRole = user.role === "ADMIN" || session.course.instructorId === user.id ? "publisher" : "subscriber";

  const key = services.keys.mediaGrants(sessionId);
  // The same stay asking again (a media reconnect) keeps its token and feeds.
  const previous = (await readGrants(services, sessionId)).get(connectionId);
  const sameStay = previous?.userId === user.id && previous.stay !== "";
  const grant: MediaGrant = {
    userId: user.id,
    stay: sameStay ? previous.stay : newStay(),
    role,
    feeds:
      role === "publisher"
        ? sameStay && previous.feeds
          ? previous.feeds
          : { camera: newFeedId(), screen: newFeedId() }
        : null,
  };
  await services.redis
    .multi()
    .hset(key, connectionId, JSON.stringify(grant))
    .expire(key, MEDIA_KEYS_TTL_SECONDS)
    .exec();
  const token = tokenOf(services, sessionId, connectionId, grant);
  try {
    const admin = adminOf(services, room);
    await admin.addToken(token);
    await allowInRoom(services, admin, room, token);
  } catch (error) {
    if (error instanceof JanusError) {
      services.logger.warn({ err: error, sessionId }, "media server unavailable for session.media");
      throw mediaUnavailable();
    }
    throw error;
  }
  // The tab may have left while the token was being registered: then the grant goes with it.
  if (!(await isPresent(services, sessionId, user.id, connectionId))) {
    await syncMediaGrants(services, sessionId);
    throw appError("FORBIDDEN", Reason.NOT_IN_SESSION, NOT_IN_SESSION_MESSAGE);
  }
  return {
    serverId: room.serverId,
    apiUrl: apiUrlOf(services, room.serverId),
    roomId: room.roomId,
    token,
    role,
    feeds: grant.feeds,
    iceServers: iceServers(services, user.id),
  };
}

function mediaUnavailable() {
  return appError(
    "SERVICE_UNAVAILABLE",
    Reason.MEDIA_UNAVAILABLE,
    "Video is not available right now. The room keeps trying; you can stay in the session meanwhile.",
  );
}

/** Adds a token to the room's allow list; a room Janus lost (a restart) is created again first. */
async function allowInRoom(services: AccessServices, admin: JanusAdmin, room: MediaRoom, token: string) {
  try {
    await admin.allowTokens(room.roomId, room.secret, "add", [token]);
  } catch (error) {
    if (!(error instanceof JanusError) || error.code !== 426) throw error;
    await createRoom(services, room);
  }
}

/** Every handle on a media server, with what the admin API tells about it. */
export async function listHandles(admin: JanusAdmin): Promise<HandleSummary[]> {
  const handles: HandleSummary[] = [];
  for (const sessionId of await admin.listSessions()) {
    for (const handleId of await admin.listHandles(sessionId)) {
      const info = await admin.handleInfo(sessionId, handleId);
      if (info) handles.push(info);
    }
  }
  return handles;
}

export function tokenOf(
  services: Pick<Services, "media">,
  sessionId: string,
  connectionId: string,
  grant: Pick<MediaGrant, "stay">,
): string {
  return mintMediaToken(services.media.tokenKey, { sessionId, connectionId, stay: grant.stay });
}

/** Whether this token's stay still holds its grant (read now, not from an earlier snapshot). */
export async function holdsGrant(services: Pick<Services, "redis" | "keys">, holder: MediaTokenHolder | null) {
  if (!holder) return false;
  const value = await services.redis.hget(services.keys.mediaGrants(holder.sessionId), holder.connectionId);
  try {
    return value != null && (JSON.parse(value) as MediaGrant).stay === holder.stay;
  } catch {
    return false;
  }
}

/** Janus said the thing is gone already (a room, a token): the outcome we wanted. */
function alreadyGone(codes: number[]) {
  return (error: unknown) => {
    if (error instanceof JanusError && error.code != null && codes.includes(error.code)) return;
    throw error;
  };
}

/**
 * Takes the media rights of these stays away, their grants already deleted: their tokens leave the
 * room's allow list and Janus, every handle holding one is detached, and feeds they published stop.
 * Each step runs for every token whatever happened to the others; the first failure is thrown at the end.
 */
export async function revokeGrants(
  services: AccessServices,
  sessionId: string,
  revoked: Map<string, MediaGrant>,
): Promise<void> {
  if (revoked.size === 0) return;
  const room = await roomOf(services, sessionId);
  if (!room) return;
  const admin = adminOf(services, room);
  const tokens = new Set(
    [...revoked].map(([connectionId, grant]) => tokenOf(services, sessionId, connectionId, grant)),
  );
  const outcomes = await Promise.allSettled([
    admin.allowTokens(room.roomId, room.secret, "remove", [...tokens]).catch(alreadyGone([426])),
    ...[...tokens].map((token) => admin.removeToken(token)),
  ]);
  for (const handle of await listHandles(admin)) {
    if (handle.token && tokens.has(handle.token)) await admin.detachHandle(handle.sessionId, handle.handleId);
  }
  const feedIds = [...revoked.values()].flatMap((grant) =>
    grant.feeds ? [grant.feeds.camera, grant.feeds.screen] : [],
  );
  await feedsStopped(services, sessionId, feedIds);
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
}

// Deletes, in one step, the grants whose tab is not in the presence set, and returns them: a tab that
// joins again meanwhile either is present (kept) or gets a new stay after this (never revoked here).
// KEYS: grants, presence. Returns [connectionId, grant, connectionId, grant, …].
const TAKE_ABSENT_GRANTS = `
local taken = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, grant = pcall(cjson.decode, all[i + 1])
  local userId = ok and type(grant) == 'table' and grant.userId or ''
  if userId == '' or not redis.call('ZSCORE', KEYS[2], userId .. ':' .. all[i]) then
    redis.call('HDEL', KEYS[1], all[i])
    taken[#taken + 1] = all[i]
    taken[#taken + 1] = all[i + 1]
  end
end
return taken`;

/**
 * Revokes the grants of tabs no longer in the session (all of them once it ended: its presence is
 * cleared). Safe to run any time, as often as wanted, from any process: what it revokes is decided
 * from presence, atomically, not from the caller.
 */
export async function syncMediaGrants(services: AccessServices, sessionId: string): Promise<number> {
  const taken = (await services.redis.eval(
    TAKE_ABSENT_GRANTS,
    2,
    services.keys.mediaGrants(sessionId),
    services.keys.presence(sessionId),
  )) as string[];
  const revoked = new Map<string, MediaGrant>();
  for (let i = 0; i < taken.length; i += 2) {
    try {
      revoked.set(taken[i]!, JSON.parse(taken[i + 1]!) as MediaGrant);
    } catch {
      // An unreadable grant minted no token anyone holds.
    }
  }
  await revokeGrants(services, sessionId, revoked);
  return revoked.size;
}

/** Media rights of a session are being synced in this process (per services container and session). */
const syncing = new Map<string, { again: boolean }>();

/**
 * Called after tabs left the session (leave, removal, replacement, eviction, sign-out, end): runs
 * syncMediaGrants in the background, at most one per session at a time in this process, and once
 * more if asked again meanwhile. Failures are logged; media.reconcile repeats the same work.
 */
export function mediaGrantsChanged(services: AccessServices, sessionId: string): void {
  const id = `${services.keys.prefix}${sessionId}`;
  const running = syncing.get(id);
  if (running) {
    running.again = true;
    return;
  }
  const state = { again: false };
  syncing.set(id, state);
  void (async () => {
    try {
      do {
        state.again = false;
        await syncMediaGrants(services, sessionId);
      } while (state.again);
    } catch (error) {
      services.logger.warn({ err: error, sessionId }, "media rights not revoked yet; media.reconcile will retry");
    } finally {
      syncing.delete(id);
    }
  })();
}

/**
 * Whether a handle's token may use `feedId` in this session: Livehall minted it, for the stay of a
 * publisher tab that was issued that feed.
 */
export function mayPublish(
  services: Pick<Services, "media">,
  grants: Map<string, MediaGrant>,
  sessionId: string,
  token: string | null,
  feedId: number,
): { kind: "camera" | "screen" } | null {
  const holder = readMediaToken(services.media.tokenKey, token);
  if (!holder || holder.sessionId !== sessionId) return null;
  const grant = grants.get(holder.connectionId);
  if (grant?.stay !== holder.stay) return null;
  const feeds = grant.feeds;
  if (!feeds) return null;
  if (feeds.camera === feedId) return { kind: "camera" };
  if (feeds.screen === feedId) return { kind: "screen" };
  return null;
}
