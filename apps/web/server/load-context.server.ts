import { createCaller, type RequestAuth, type Services } from "@livehall/api";
import type { GetLoadContextFunction } from "@remix-run/express";
import { createRequestContext, resolveRequestAuth } from "./request-context.server";

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** Calls procedures in-process, as this request's user and under the same rules as over HTTP. */
    caller: ReturnType<typeof createCaller>;
    /** This request's user (resolved once, refreshed if needed) and access-token expiry. */
    auth: Pick<RequestAuth, "user" | "accessTokenExpiresAt" | "error">;
    services: Services;
    /** The nonce the page's scripts carry (its Content-Security-Policy allows only those). */
    cspNonce: string;
  }
}

export function createGetLoadContext(services: Services): GetLoadContextFunction {
  return async (req, res) => {
    const { user, accessTokenExpiresAt, error } = await resolveRequestAuth(services, req, res);
    // A signed-in page is that user's alone: no browser or shared cache may keep it.
    if (user) res.setHeader("Cache-Control", "no-store");
    return {
      // Procedures called from loaders and actions may set cookies (sign-in, sign-out).
      caller: createCaller(
        await createRequestContext(services, req, res, { append: (name, value) => void res.appendHeader(name, value) }),
      ),
      auth: { user, accessTokenExpiresAt, error },
      services,
      cspNonce: res.locals.cspNonce ?? "",
    };
  };
}
