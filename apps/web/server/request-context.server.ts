import { randomUUID } from "node:crypto";
import { authenticateNodeRequest, contextForRequest, nodeRequest, type Context, type RequestAuth, type Services } from "@livehall/api";
import type { Request, Response } from "express";

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

// Accept a load balancer's id only when it looks like one, so logs cannot be fed arbitrary text.
const FORWARDED_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Gives every request an id (the proxy's when it sent a sane one), echoed as `x-request-id`. */
export function assignRequestId(req: Request, res: Response): void {
  const forwarded = req.get("x-request-id");
  const requestId = forwarded && FORWARDED_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader("x-request-id", requestId);
}

/**
 * The user of this request, resolved once however many procedures and loaders ask (memoised per
 * request): an expired access cookie is refreshed from `lh_rt` here, and the new cookies are added
 * to the response, so parallel loaders never race a refresh.
 */
export async function resolveRequestAuth(services: Services, req: Request, res: Response): Promise<RequestAuth> {
  const auth = await authenticateNodeRequest(services, req, res);
  if (auth.user) res.locals.userId = auth.user.id;
  return auth;
}

/**
 * The tRPC context of one HTTP request. `resHeaders` collects headers procedures set (cookies); pass
 * null where nothing forwards them to the response.
 */
export async function createRequestContext(
  services: Services,
  req: Request,
  res: Response,
  resHeaders: Context["resHeaders"],
): Promise<Context> {
  const auth = await resolveRequestAuth(services, req, res);
  return contextForRequest(services, nodeRequest(req), auth, resHeaders, res.locals.requestId);
}
