import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticateRequest, type RequestAuth } from "./auth/request-auth";
import { REFRESH_COOKIE, parseCookies } from "./auth/cookies";
import { createContext, type Context, type RequestInfo, type ResponseHeaders, type Services } from "./context";

export interface IncomingRequestLike {
  header(name: string): string | null | undefined;
  ip: string;
}

/** Origin of a request for the CSRF rule: the Origin header, else the Referer's origin. */
export function requestOrigin(request: IncomingRequestLike): string | null {
  const origin = request.header("origin");
  if (origin && origin !== "null") return origin;
  const referer = request.header("referer");
  if (!referer) return null;
  try {
    return new URL(referer).origin;
  } catch {
    return null;
  }
}

/**
 * Resolves the request's user once (refreshing cookies if needed) — the transport calls this before
 * any procedure or loader, and adds `auth.setCookies` to the response.
 */
export async function authenticateIncoming(services: Services, request: IncomingRequestLike): Promise<RequestAuth> {
  return authenticateRequest(services, {
    authorization: request.header("authorization"),
    cookie: request.header("cookie"),
    userAgent: request.header("user-agent"),
  });
}

export function requestInfo(request: IncomingRequestLike, auth: RequestAuth, requestId: string = randomUUID()): RequestInfo {
  const cookie = request.header("cookie");
  return {
    requestId,
    // Read only by the procedures that need it (rate limits): behind a proxy it parses X-Forwarded-For.
    get ip() {
      return request.ip;
    },
    userAgent: request.header("user-agent")?.slice(0, 512) ?? null,
    origin: requestOrigin(request),
    authTransport: auth.transport,
    refreshCookie: cookie ? (parseCookies(cookie).get(REFRESH_COOKIE) ?? null) : null,
  };
}

/** The tRPC/loader context of one HTTP request, from its already-resolved auth. */
export function contextForRequest(
  services: Services,
  request: IncomingRequestLike,
  auth: RequestAuth,
  resHeaders: ResponseHeaders | null,
  requestId?: string,
): Context {
  return createContext(services, {
    user: auth.user,
    authError: auth.error,
    accessTokenExpiresAt: auth.accessTokenExpiresAt,
    resHeaders,
    req: requestInfo(request, auth, requestId),
  });
}

/**
 * Adapts a Node request (plain http or express) to what the auth and context code reads. The client
 * address is express's `req.ip` (its `trust proxy` rule) when express has decorated the request, else
 * `clientIp`'s answer, else the socket's address; it is worked out only when read.
 */
export function nodeRequest(req: IncomingMessage, clientIp?: (req: IncomingMessage) => string): IncomingRequestLike {
  return {
    header: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(", ") : (value ?? null);
    },
    get ip() {
      return (req as IncomingMessage & { ip?: string }).ip ?? clientIp?.(req) ?? req.socket.remoteAddress ?? "unknown";
    },
  };
}

/** Where the transport keeps a request's resolved auth, so it is resolved once per request. */
const resolvedAuth = new WeakMap<IncomingMessage, Promise<RequestAuth>>();

/**
 * Resolves (once per request, memoised) the user of a Node request and adds refreshed or cleared
 * cookies to its response. The web server calls it before Remix and tRPC both read it.
 */
export function authenticateNodeRequest(services: Services, req: IncomingMessage, res: ServerResponse): Promise<RequestAuth> {
  let pending = resolvedAuth.get(req);
  if (!pending) {
    pending = authenticateIncoming(services, nodeRequest(req)).then((auth) => {
      for (const cookie of auth.setCookies) res.appendHeader("Set-Cookie", cookie);
      return auth;
    });
    resolvedAuth.set(req, pending);
  }
  return pending;
}

/** tRPC createContext for Node adapters (express, standalone). */
export function createNodeContextFactory(services: Services) {
  return async ({ req, res }: { req: IncomingMessage; res: ServerResponse }): Promise<Context> => {
    const auth = await authenticateNodeRequest(services, req, res);
    const resHeaders: ResponseHeaders = { append: (name, value) => void res.appendHeader(name, value) };
    const incomingId = req.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && /^[\w-]{1,64}$/.test(incomingId) ? incomingId : randomUUID();
    return contextForRequest(services, nodeRequest(req), auth, resHeaders, requestId);
  };
}
