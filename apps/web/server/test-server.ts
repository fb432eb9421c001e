import { closeServices, createServices, type Services } from "@livehall/api";
import { AuthSession, createApiClient, type ApiClient, type ApiClientOptions } from "@livehall/api/client";
import { EventSource } from "eventsource";
import { loadWebConfig } from "@livehall/api/config";
import { waitFor } from "@livehall/testing";
import { createWebServer, type RemixOptions, type WebServer } from "./app.server";

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  trpcUrl: string;
  /** The /metrics listener's base URL (its own port, never the public one). */
  metricsUrl: string;
  services: Services;
  /** The underlying HTTP server (to observe connections and requests). */
  http: WebServer["server"];
  /** Room streams open on the raw fan-out (tabs) and the sessions they follow. */
  roomStreams(): { tabs: number; sessions: number };
  /** A typed API client against this server. */
  client(options?: Omit<ApiClientOptions, "url">): ApiClient;
  close(): Promise<void>;
}

/** Remix defaults to `none`: API, health and readiness only. */
export type TestServerOptions = RemixOptions & {
  /** Environment overrides on top of the harness's (e.g. REDIS_URL pointing at a closed port). */
  env?: Record<string, string>;
  /**
   * Wait until /readyz answers 200 (Redis connects just after start). Default true; false for tests
   * of an unreachable dependency.
   */
  waitUntilReady?: boolean;
  /** The services' clock (default: the real time). */
  clock?: () => Date;
  /** The port to listen on (default: a free one). */
  port?: number;
};

/**
 * Starts the web server in-process on a free loopback port against this test file's database and
 * Redis namespace (the harness sets DATABASE_URL, REDIS_URL and REDIS_KEY_PREFIX before the file runs).
 */
export async function startTestServer({
  env,
  waitUntilReady = true,
  clock,
  port = 0,
  ...remix
}: TestServerOptions = {}): Promise<TestServer> {
  // Several test servers run at once: each /metrics listener takes a free port.
  const config = loadWebConfig({ ...process.env, METRICS_PORT: "0", ...env });
  const services = createServices(config, clock ? { clock } : {});
  const web = await createWebServer({ config, services, ...remix });
  const url = await web.listen(port, "127.0.0.1");
  const trpcUrl = `${url}/api/trpc`;
  if (waitUntilReady) {
    await waitFor(async () => (await fetch(`${url}/readyz`)).ok, { what: "the test server to be ready" });
  }
  return {
    url,
    trpcUrl,
    metricsUrl: web.metricsUrl(),
    services,
    http: web.server,
    roomStreams: () => web.roomStreams(),
    client: (clientOptions = {}) => createApiClient({ ...clientOptions, url: trpcUrl }),
    close: async () => {
      await web.close();
      await closeServices(services);
    },
  };
}

/**
 * A new user signed up on `server` (name from the email), with a typed client holding their tokens
 * (Bearer) that also streams subscriptions over SSE.
 */
export async function signedUpClient(server: Pick<TestServer, "trpcUrl">, email: string): Promise<ApiClient> {
  const session = new AuthSession({ url: server.trpcUrl, delivery: "body" });
  const client = createApiClient({
    url: server.trpcUrl,
    session,
    EventSource: EventSource as unknown as typeof globalThis.EventSource,
  });
  session.update(
    await client.auth.signup.mutate({
      email,
      name: email.split("@")[0]!,
      password: "test server password",
      delivery: "body",
    }),
  );
  return client;
}
