import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
} from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "./root";

export interface ApiClientOptions {
  /** Base URL of the tRPC endpoint, e.g. http://localhost:3000/api/trpc */
  url: string;
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  fetch?: typeof fetch;
  /** EventSource implementation for subscriptions outside browsers (Node 20 has none built in). */
  EventSource?: typeof globalThis.EventSource;
}

export type ApiClient = TRPCClient<AppRouter>;

/** The typed client teammates, scripts, tests and benchmarks use against a running deployment. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: options.url,
          transformer: superjson,
          ...(options.EventSource ? { EventSource: options.EventSource } : {}),
        }),
        false: httpBatchLink({
          url: options.url,
          transformer: superjson,
          ...(options.headers ? { headers: options.headers } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      }),
    ],
  });
}
