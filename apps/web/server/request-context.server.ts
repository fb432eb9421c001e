import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  authenticateNodeRequest,
  contextForRequest,
  nodeRequest,
  type Context,
  type RequestAuth,
  type Services,
} from "@livehall/api";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express types its locals through this namespace.
  namespace Express {
    interface Locals {
      requestId: string;
      /** The resolved user's id, for the request log line. */
      userId?: string;
    }
  }
}

/**
 * A response with the values kept per request (`res.locals`): set in the `node:http` listener before
 * any routing, and the same object express exposes as `res.locals` (it keeps one that exists).
 */
export type LocalsResponse = ServerResponse & { locals: Express.Locals };

// Accept a load balancer's id only when it looks like one, so logs cannot be fed arbitrary text.
const FORWARDED_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Gives every request an id (the proxy's when it sent a sane one), echoed as `x-request-id`. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): LocalsResponse {
  const forwarded = req.headers["x-request-id"];
  const requestId = typeof forwarded === "string" && FORWARDED_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
  const withLocals = res as LocalsResponse;
  withLocals.locals = { requestId };
  res.setHeader("x-request-id", requestId);
  return withLocals;
}

/**
 * The user of this request, resolved once however many procedures and loaders ask (memoised per
 * request): an expired access cookie is refreshed from `lh_rt` here, and the new cookies are added
 * to the response, so parallel loaders never race a refresh.
 */
export async function resolveRequestAuth(
  services: Services,
  req: IncomingMessage,
  res: LocalsResponse,
): Promise<RequestAuth> {
  const auth = await authenticateNodeRequest(services, req, res);
  if (auth.user) res.locals.userId = auth.user.id;
  return auth;
}

/**
 * The tRPC context of one HTTP request. `resHeaders` collects headers procedures set (cookies); pass
 * null where nothing forwards them to the response. `clientIp` is for requests express has not
 * decorated (its `req.ip` applies the app's `trust proxy` rule); it is asked only if a procedure reads
 * `ctx.req.ip`.
 */
export async function createRequestContext(
  services: Services,
  req: IncomingMessage,
  res: LocalsResponse,
  resHeaders: Context["resHeaders"],
  clientIp?: (req: IncomingMessage) => string,
): Promise<Context> {
  const auth = await resolveRequestAuth(services, req, res);
  return contextForRequest(services, nodeRequest(req, clientIp), auth, resHeaders, res.locals.requestId);
}
