import { randomUUID } from "node:crypto";
import http from "node:http";
import type { Services } from "@livehall/api";
import { AuthSession, createApiClient, type ApiClient } from "@livehall/api/client";
import { signAccessToken } from "@livehall/api/testing";
import { EventSource } from "eventsource";
import { Agent, fetch as undiciFetch } from "undici";

/**
 * Typed bench clients share one pool of at most 100 keep-alive connections per server, as behind a
 * load balancer. (Joins and heartbeats of many students go as plain requests over one connection
 * per student instead, as browsers would: `post`.)
 */
export const CONNECTIONS_PER_SERVER = 100;
const pool = new Agent({ connections: CONNECTIONS_PER_SERVER, keepAliveTimeout: 30_000, pipelining: 1 });
const pooledFetch = ((input: string | URL, init?: RequestInit) =>
  undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: pool })) as unknown as typeof fetch;

/**
 * Long-lived event streams get their own unpooled connections (one per stream, as one per browser
 * tab): on the 100-connection pool above, the 101st stream would wait forever for a free connection.
 */
const streamAgent = new Agent({ keepAliveTimeout: 30_000, pipelining: 1 });
const streamFetch = ((input: string | URL, init?: RequestInit) =>
  undiciFetch(input, {
    ...(init as Parameters<typeof undiciFetch>[1]),
    dispatcher: streamAgent,
  })) as unknown as typeof fetch;

/**
 * One keep-alive connection per student, kept between requests, as each browser that loaded the
 * room page has its own. Requests are plain `node:http` POSTs with the body and headers the typed
 * client sends: the typed client (tRPC links, superjson, undici's fetch) cost the load generator
 * more CPU than the server's whole work, on the two cores they share.
 */
const studentAgent = new http.Agent({
  keepAlive: true,
  maxSockets: Number.POSITIVE_INFINITY,
  maxFreeSockets: Number.POSITIVE_INFINITY,
});

/** A POST with a JSON body over a student's own connection; its status and body. */
export function post(
  url: URL,
  headers: http.OutgoingHttpHeaders,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: "POST", agent: studentAgent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

export interface BenchUser {
  id: string;
  role: "STUDENT" | "INSTRUCTOR" | "ADMIN";
}

/** A valid access token for a user inserted by SQL (a sign-in family of its own). */
export async function accessTokenFor(
  services: Pick<Services, "tokenKeys" | "config">,
  user: BenchUser,
): Promise<{ token: string; familyId: string; expiresAt: Date }> {
  const familyId = randomUUID();
  const { token, expiresAt } = await signAccessToken(
    services.tokenKeys,
    { ...user, familyId },
    new Date(),
    services.config.timings.accessTokenTtlMs,
  );
  return { token, familyId, expiresAt };
}

/**
 * The typed client a script or a teammate would use, holding one user's access token (Bearer).
 * Retries are off (maxAttempts 1): a benchmark counts failures, it never hides them.
 */
export function clientFor(
  baseUrl: string,
  accessToken?: { token: string; expiresAt: Date },
  { streams = false }: { streams?: boolean } = {},
): ApiClient {
  const url = `${baseUrl}/api/trpc`;
  const session = new AuthSession({
    url,
    delivery: "body",
    fetch: pooledFetch,
    tokens: accessToken
      ? { accessToken: accessToken.token, refreshToken: "", accessTokenExpiresAt: accessToken.expiresAt }
      : null,
  });
  return createApiClient({
    url,
    session,
    maxAttempts: 1,
    fetch: streams ? streamFetch : pooledFetch,
    EventSource: EventSource as unknown as typeof globalThis.EventSource,
  });
}
