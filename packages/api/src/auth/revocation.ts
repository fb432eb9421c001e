import type { Services } from "../context";

/** Slack over the access TTL so a token minted just before revocation cannot outlive its mark. */
const CLOCK_SKEW_MS = 5_000;

/**
 * Marks token families as revoked in Redis for as long as any access token of theirs can still be
 * valid, so authenticated requests refuse them at once instead of when the JWT expires.
 */
export async function markFamiliesRevoked(
  services: Pick<Services, "redis" | "keys" | "config">,
  familyIds: string[],
): Promise<void> {
  if (familyIds.length === 0) return;
  const ttlMs = services.config.timings.accessTokenTtlMs + CLOCK_SKEW_MS;
  const pipeline = services.redis.multi();
  for (const familyId of familyIds) pipeline.set(services.keys.revokedFamily(familyId), "1", "PX", ttlMs);
  await pipeline.exec();
}

/**
 * After a change that access tokens carry (a new role), marks every access token of the user issued
 * before it as stale: requests with one answer ACCESS_TOKEN_EXPIRED, so browsers and API clients
 * refresh at once and get the new role, without signing out. Whole seconds, as JWTs count them: a
 * token issued in the second of the change is stale too (at most one extra refresh).
 */
export async function markAccessTokensStale(
  services: Pick<Services, "redis" | "keys" | "config">,
  userId: string,
  at: Date,
): Promise<void> {
  const ttlMs = services.config.timings.accessTokenTtlMs + CLOCK_SKEW_MS;
  await services.redis.set(
    services.keys.staleAccessBefore(userId),
    String(Math.ceil(at.getTime() / 1000)),
    "PX",
    ttlMs,
  );
}

export type AccessTokenState = "valid" | "revoked" | "stale";

/** One round trip: is the token's family revoked, or was it issued before a change to its user? */
export async function accessTokenState(
  services: Pick<Services, "redis" | "keys">,
  token: { familyId: string; userId: string; issuedAtSeconds: number },
): Promise<AccessTokenState> {
  const [revoked, staleBefore] = await services.redis.mget(
    services.keys.revokedFamily(token.familyId),
    services.keys.staleAccessBefore(token.userId),
  );
  if (revoked !== null) return "revoked";
  if (staleBefore !== null && token.issuedAtSeconds < Number(staleBefore)) return "stale";
  return "valid";
}
