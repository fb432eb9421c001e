import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  type TRPCLink,
} from "@trpc/client";
import { observable } from "@trpc/server/observable";
import superjson from "superjson";
import { AuthSession, type AuthSessionOptions } from "./client/auth-session";
import { backoffDelay, CLIENT_BACKOFF_DEFAULTS } from "./client/backoff";
import { DEFAULT_MAX_BATCH, travelsAlone } from "./client/batching";
import { definiteSignOutReason, isAccessTokenExpired, isRetryableFailure } from "./client/failures";
import type { AppRouter } from "./root";

export { AuthSession, type TokenSet, type Delivery } from "./client/auth-session";
export { backoffDelay, CLIENT_BACKOFF_DEFAULTS, type Backoff } from "./client/backoff";
export { definiteSignOutReason, failureReason, isRetryableFailure } from "./client/failures";

/**
 * Mutations that are safe to send again after a network failure or 5xx: the server makes them
 * idempotent. Others (course.create…) are not retried, so a lost answer cannot duplicate work.
 */
export const RETRYABLE_MUTATIONS = new Set([
  "auth.logout",
  "session.join",
  "session.leave",
  "session.heartbeat",
  "session.rate",
  "session.start",
  "session.update",
  "session.end",
  "session.cancel",
  // The room's (docs/decisions/018): a message is stored once per client message id, a vote once per
  // user, a hand once while up; deleting, muting, answering and lowering are repeatable.
  "session.sendMessage",
  "session.upvoteQuestion",
  "session.raiseHand",
  "session.lowerHand",
  "session.lowerHands",
  "session.deleteMessage",
  "session.setChatMuted",
  "session.answerQuestion",
]);

export interface ApiClientOptions extends Omit<AuthSessionOptions, "delivery"> {
  delivery?: AuthSessionOptions["delivery"];
  /** The sign-in this client acts for; pass one to observe it or share it between clients. */
  session?: AuthSession;
  /** Attempts per call for network failures and 5xx (queries and retryable mutations). */
  maxAttempts?: number;
  headers?: () => Record<string, string>;
  EventSource?: typeof globalThis.EventSource;
}

export type ApiClient = TRPCClient<AppRouter>;

/**
 * Refreshes ahead of expiry and once on ACCESS_TOKEN_EXPIRED, then retries the call; retries
 * network failures and 5xx with backoff and jitter; signs out only on a definite auth answer.
 */
function resilienceLink(session: AuthSession, options: ApiClientOptions): TRPCLink<AppRouter> {
  const maxAttempts = options.maxAttempts ?? 6;
  const sleepBackoff = options.backoff ?? CLIENT_BACKOFF_DEFAULTS;
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let attempt = 0;
        let refreshedOnce = false;
        let stopped = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let current: { unsubscribe(): void } | undefined;
        const retryable = op.type === "query" || (op.type === "mutation" && RETRYABLE_MUTATIONS.has(op.path));

        const run = async () => {
          if (op.type !== "subscription") await session.ensureFresh();
          if (stopped) return;
          current = next(op).subscribe({
            next: (value) => observer.next(value),
            complete: () => observer.complete(),
            error: (error) => {
              if (stopped) return;
              if (isAccessTokenExpired(error) && !refreshedOnce) {
                refreshedOnce = true;
                session.refresh().then(run, (refreshError: unknown) => observer.error(refreshError as never));
                return;
              }
              const signOut = definiteSignOutReason(error);
              if (signOut) {
                session.signOut(signOut);
              } else if (retryable && isRetryableFailure(error) && attempt + 1 < maxAttempts) {
                timer = setTimeout(() => void run(), backoffDelay(attempt++, sleepBackoff));
                return;
              }
              observer.error(error);
            },
          });
        };
        void run();
        return () => {
          stopped = true;
          clearTimeout(timer);
          current?.unsubscribe();
        };
      });
}

/** The typed client teammates, scripts, tests and the browser use against a running deployment. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const session = options.session ?? new AuthSession({ ...options, delivery: options.delivery ?? "cookie" });
  const headers = () => ({ ...options.headers?.(), ...session.authorizationHeader() });
  const http = {
    url: options.url,
    transformer: superjson,
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const client = createTRPCClient<AppRouter>({
    links: [
      resilienceLink(session, options),
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: options.url,
          transformer: superjson,
          ...(options.EventSource
            ? {
                EventSource: options.EventSource,
                // Outside browsers (the `eventsource` package), send the Bearer token on the stream too.
                eventSourceOptions: () =>
                  ({
                    fetch: (input: string | URL | Request, init?: RequestInit) =>
                      (options.fetch ?? fetch)(input, {
                        ...init,
                        headers: { ...(init?.headers as Record<string, string>), ...headers() },
                      }),
                  }) as EventSourceInit,
              }
            : {}),
        }),
        false: splitLink({
          condition: (op) => travelsAlone(op.path),
          true: httpLink(http),
          false: httpBatchLink({
            ...http,
            // Keeps batched GET URLs well under common proxy limits.
            maxURLLength: 4_000,
            maxItems: DEFAULT_MAX_BATCH,
          }),
        }),
      }),
    ],
  });
  return client;
}
