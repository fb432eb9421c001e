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
  }
}

export function createGetLoadContext(services: Services): GetLoadContextFunction {
  return async (req, res) => {
    const { user, accessTokenExpiresAt, error } = await resolveRequestAuth(services, req, res);
    return {
      // Procedures called from loaders and actions may set cookies (sign-in, sign-out).
      caller: createCaller(
        await createRequestContext(services, req, res, { append: (name, value) => void res.appendHeader(name, value) }),
      ),
      auth: { user, accessTokenExpiresAt, error },
      services,
    };
  };
}
