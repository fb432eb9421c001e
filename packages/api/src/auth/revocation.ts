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

export async function isFamilyRevoked(services: Pick<Services, "redis" | "keys">, familyId: string): Promise<boolean> {
  return (await services.redis.exists(services.keys.revokedFamily(familyId))) === 1;
}
