import { AuthSession, createApiClient, type ApiClient } from "@livehall/api/client";
import type { TelemetryType } from "./room/connection";
import { TelemetryBatcher, type TelemetryEvent } from "./room/telemetry";

/**
 * The browser's side of the API, one of each per tab (module singletons; browser-only, hence
 * `.client.ts`, which Remix leaves out of the server build):
 * - one AuthSession with delivery "cookie": the cookies are httpOnly, so it only knows when the access
 *   token expires (from the root loader, then from each refresh). Every client below shares it, so
 *   there is one refresh in flight per tab, ahead of expiry and on ACCESS_TOKEN_EXPIRED, and one
 *   place that decides the user is really signed out (a definite auth answer, once).
 * - `apiClient()`: the typed client with the link-level retries (network/5xx, backoff and jitter).
 * - `presenceClient()`: the same without link-level retries, for join/heartbeat/stream — the room
 *   retries those itself so it can show "reconnecting in N s" instead of silently waiting.
 * - telemetry: connection figures reported in small batches (best effort).
 */

export const TRPC_PATH = "/api/trpc";

type SignedOutListener = (reason: string) => void;
const signedOutListeners = new Set<SignedOutListener>();
const tokenListeners = new Set<() => void>();

function trpcUrl(): string {
  return `${window.location.origin}${TRPC_PATH}`;
}

/** Reports refresh outcomes; the single-flight promise is observed once however many callers share it. */
class BrowserAuthSession extends AuthSession {
  private observed: Promise<void> | null = null;

  override refresh(): Promise<void> {
    const inflight = super.refresh();
    if (inflight !== this.observed) {
      this.observed = inflight;
      inflight.then(
        () => record("refresh_succeeded"),
        // A definite answer is reported as signed_out by the listener below.
        () => (this.signedOut ? undefined : record("refresh_failed")),
      );
    }
    return inflight;
  }
}

let session: BrowserAuthSession | null = null;
let api: ApiClient | null = null;
let presence: ApiClient | null = null;
let telemetry: TelemetryBatcher | null = null;

export function authSession(): AuthSession {
  session ??= new BrowserAuthSession({
    url: trpcUrl(),
    delivery: "cookie",
    // Every call waits for an in-flight refresh; a long retry series during an outage would hold the
    // room's recovery back. Give up early instead: with cookies the server also refreshes an expired
    // access token by itself on the next request, and the room retries on its own schedule.
    maxRefreshAttempts: 3,
    onSignedOut: (reason) => {
      record("signed_out");
      // The other tabs of this browser share the cookies: they are signed out too.
      authChannel()?.postMessage({ type: "signed-out", reason } satisfies AuthMessage);
      for (const listener of signedOutListeners) listener(reason);
    },
    onTokens: () => {
      for (const listener of tokenListeners) listener();
    },
  });
  return session;
}

interface AuthMessage {
  type: "signed-out";
  reason: string;
}

let channel: BroadcastChannel | null | undefined;

/**
 * How the tabs of one browser tell each other about a sign-out (this tab's Sign out, a revoked or
 * disabled account seen by any tab), so every header and room updates at once instead of at their
 * next request. Absent where the browser has no BroadcastChannel.
 */
function authChannel(): BroadcastChannel | null {
  if (channel === undefined) {
    channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("livehall-auth") : null;
    channel?.addEventListener("message", (event: MessageEvent<AuthMessage>) => {
      if (event.data?.type === "signed-out") authSession().signOut(event.data.reason);
    });
  }
  return channel;
}

/** Starts listening to the other tabs (the root calls it once the page has hydrated). */
export function listenToOtherTabs(): void {
  authChannel();
}

/** The expiry the server told this page (root loader); a fresh sign-in also clears a signed-out state. */
export function syncAccessTokenExpiry(accessTokenExpiresAt: string | null | undefined): void {
  if (!accessTokenExpiresAt) return;
  const expiresAt = new Date(accessTokenExpiresAt);
  const current = authSession().accessTokenExpiresAt;
  // Keep a newer expiry learnt from a refresh the page load does not know about yet.
  if (current && current.getTime() >= expiresAt.getTime() && !authSession().signedOut) return;
  authSession().update({ accessTokenExpiresAt: expiresAt });
}

export function onSignedOut(listener: SignedOutListener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** Called when the access-token expiry changes (a refresh), e.g. for the debug panel's countdown. */
export function onTokens(listener: () => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

export function apiClient(): ApiClient {
  api ??= createApiClient({ url: trpcUrl(), session: authSession() });
  return api;
}

export function presenceClient(): ApiClient {
  presence ??= createApiClient({ url: trpcUrl(), session: authSession(), maxAttempts: 1 });
  return presence;
}

/**
 * A tRPC mutation sent while the page goes away (pagehide): `navigator.sendBeacon` with the JSON body
 * tRPC expects (`{"json": input}`, superjson's form for plain values); the browser adds the cookies
 * and the Origin, so the CSRF rule passes. Falls back to a keepalive fetch when the beacon is refused.
 */
export function sendMutationOnExit(path: string, input: unknown): boolean {
  const url = `${TRPC_PATH}/${path}`;
  const body = JSON.stringify({ json: input });
  try {
    if (
      typeof navigator.sendBeacon === "function" &&
      navigator.sendBeacon(url, new Blob([body], { type: "application/json" }))
    )
      return true;
  } catch {
    // Some browsers refuse a Blob with a non-CORS-safelisted type: fall through to fetch.
  }
  try {
    void fetch(url, {
      method: "POST",
      body,
      keepalive: true,
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
    }).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

function telemetryBatcher(): TelemetryBatcher {
  telemetry ??= new TelemetryBatcher({
    send: (events: TelemetryEvent[]) => apiClient().telemetry.report.mutate({ events }),
    sendOnExit: (events) => sendMutationOnExit("telemetry.report", { events }),
  });
  return telemetry;
}

export function record(type: TelemetryType, durationMs?: number): void {
  telemetryBatcher().record(type, durationMs);
}

export function flushTelemetryOnExit(): void {
  telemetry?.flushOnExit();
}
