import type { Services } from "../context";
import type { MediaFeedView, MediaStateView } from "./participant-events";
import { publishParticipantEvent } from "./participants";

/** A session's media keys (state, grants) expire this long after their last write; an ended session's go sooner. */
export const MEDIA_KEYS_TTL_SECONDS = 24 * 60 * 60;

// What subscribers of a session see of its media: one Redis hash per session, field "available"
// ("1" or "0": its room exists on a reachable server) and one field per live feed (feed id → kind).
// Written by the Janus event handler (a feed starts or stops) and the reconcile job (the truth read
// back from Janus); each change is published on the participant stream as a "media" event.

type StateServices = Pick<Services, "db" | "redis" | "keys" | "events" | "clock">;

const AVAILABLE = "available";

function toView(hash: Record<string, string>): MediaStateView {
  const feeds: MediaFeedView[] = [];
  for (const [field, kind] of Object.entries(hash)) {
    if (field === AVAILABLE) continue;
    if (kind === "camera" || kind === "screen") feeds.push({ id: Number(field), kind });
  }
  feeds.sort((a, b) => (a.kind === b.kind ? a.id - b.id : a.kind === "camera" ? -1 : 1));
  return { available: hash[AVAILABLE] !== "0", feeds };
}

export async function readMediaState(services: Pick<Services, "redis" | "keys">, sessionId: string) {
  return toView(await services.redis.hgetall(services.keys.mediaState(sessionId)));
}

const sameView = (a: MediaStateView, b: MediaStateView) => JSON.stringify(a) === JSON.stringify(b);

/** Applies `change` to the session's media state; publishes a "media" event when what subscribers see changed. */
async function changeState(
  services: StateServices,
  sessionId: string,
  change: (key: string) => Promise<unknown>,
): Promise<MediaStateView> {
  const key = services.keys.mediaState(sessionId);
  const before = toView(await services.redis.hgetall(key));
  await change(key);
  const after = toView(await services.redis.hgetall(key));
  if (!sameView(before, after)) await publishParticipantEvent(services, sessionId, { type: "media", media: after });
  return after;
}

export function feedStarted(services: StateServices, sessionId: string, feed: MediaFeedView) {
  return changeState(services, sessionId, (key) =>
    services.redis.multi().hset(key, String(feed.id), feed.kind).expire(key, MEDIA_KEYS_TTL_SECONDS).exec(),
  );
}

export function feedsStopped(services: StateServices, sessionId: string, feedIds: number[]) {
  if (feedIds.length === 0) return readMediaState(services, sessionId);
  return changeState(services, sessionId, (key) => services.redis.hdel(key, ...feedIds.map(String)));
}

/** Replaces the whole state with what Janus reports (the reconcile job). */
export function replaceMediaState(services: StateServices, sessionId: string, state: MediaStateView) {
  return changeState(services, sessionId, async (key) => {
    const fields: string[] = [AVAILABLE, state.available ? "1" : "0"];
    for (const feed of state.feeds) fields.push(String(feed.id), feed.kind);
    await services.redis
      .multi()
      .del(key)
      .hset(key, ...fields)
      .exec();
  });
}

/**
 * The reconcile job's view of a session's feeds, applied without losing what happened during its scan:
 * a feed that was live before the scan and not seen in it stopped; a feed seen sending is live; a feed
 * that started during the scan (in neither) stays. The room answers, so the media is available.
 */
export function mergeMediaState(
  services: StateServices,
  sessionId: string,
  before: MediaStateView,
  seen: MediaFeedView[],
) {
  const seenIds = new Set(seen.map((feed) => feed.id));
  const stopped = before.feeds.filter((feed) => !seenIds.has(feed.id)).map((feed) => String(feed.id));
  return changeState(services, sessionId, async (key) => {
    const multi = services.redis.multi().hset(key, AVAILABLE, "1");
    if (stopped.length > 0) multi.hdel(key, ...stopped);
    for (const feed of seen) multi.hset(key, String(feed.id), feed.kind);
    await multi.expire(key, MEDIA_KEYS_TTL_SECONDS).exec();
  });
}

/** Forgets a finished session's media (its room is gone). */
export async function clearMediaState(services: Pick<Services, "redis" | "keys">, sessionId: string): Promise<void> {
  await services.redis.del(services.keys.mediaState(sessionId), services.keys.mediaGrants(sessionId));
}
