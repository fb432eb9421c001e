/**
 * Calls that each travel in an HTTP request of their own: every sign-in, sign-up or refresh is one
 * attempt against the auth limits, and the server refuses them inside a batch (BATCH_NOT_ALLOWED).
 */
export function travelsAlone(path: string): boolean {
  return path.startsWith("auth.");
}

/** The server's default TRPC_MAX_BATCH, and the most calls the client puts in one batch. */
export const DEFAULT_MAX_BATCH = 10;
