import { randomUUID } from "node:crypto";
import type { Services } from "@livehall/api";
import { AuthSession, createApiClient, type ApiClient } from "@livehall/api/client";
import { signAccessToken } from "@livehall/api/testing";
import { EventSource } from "eventsource";
import { Agent, fetch as undiciFetch } from "undici";

/**
 * Typed bench clients share one pool of at most 100 keep-alive connections per server, as behind a
 * load balancer. (The join storm sends plain requests over one connection per student instead, as
 * 1,000 browsers would: scenarios/join-storm.ts.)
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
