/** Browser-safe: shared by the client and by config.ts, which makes them configurable. */
export const CLIENT_BACKOFF_DEFAULTS = { baseMs: 500, capMs: 30_000 } as const;

export interface Backoff {
  baseMs: number;
  capMs: number;
}

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many clients. */
export function backoffDelay(
  attempt: number,
  backoff: Backoff = CLIENT_BACKOFF_DEFAULTS,
  random = Math.random,
): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}
