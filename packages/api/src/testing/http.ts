import type { AnyTRPCRouter } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import type { Context } from "../context";
import { appRouter } from "../root";

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The error shape (superjson puts it under `error.json`). */
  error: { message: string; data: Record<string, unknown> & { reason?: string } } | undefined;
  data: unknown;
  raw: unknown;
}

/**
 * Calls one procedure through tRPC's real HTTP handling (status codes, headers, serialization),
 * in-process. Tests about the web server itself use the web app's test server instead.
 */
export async function callOverHttp(options: {
  path: string;
  type: "query" | "mutation";
  input?: unknown;
  context: (resHeaders: Headers) => Context;
  router?: AnyTRPCRouter;
  /** Send the input as plain JSON on the wire, as a hostile client would, not through superjson. */
  raw?: boolean;
}): Promise<HttpAnswer> {
  const encoded = JSON.stringify(options.raw ? { json: options.input } : superjson.serialize(options.input));
  const url = new URL(`http://localhost/api/trpc/${options.path}`);
  if (options.type === "query" && options.input !== undefined) url.searchParams.set("input", encoded);
  const request = new Request(url, {
    method: options.type === "query" ? "GET" : "POST",
    ...(options.type === "mutation" ? { body: encoded, headers: { "content-type": "application/json" } } : {}),
  });
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: options.router ?? appRouter,
    createContext: ({ resHeaders }) => options.context(resHeaders),
  });
  const raw = (await response.json()) as { error?: { json: HttpAnswer["error"] }; result?: { data: unknown } };
  return {
    status: response.status,
    headers: response.headers,
    error: raw.error?.json,
    data: raw.result?.data === undefined ? undefined : superjson.deserialize(raw.result.data as never),
    raw,
  };
}
