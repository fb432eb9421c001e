import type { IncomingMessage } from "node:http";
import { appRouter, transformer, type Context, type Services } from "@livehall/api";
import { getErrorShape, getTRPCErrorFromUnknown, type TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { createRequestContext, type LocalsResponse } from "./request-context.server";

/**
 * The presence mutations every open room tab sends (a heartbeat every 30 s per tab; joins in storms
 * when a session starts), by their tRPC path. Each is the router's own procedure: its middlewares
 * (outage guard, CSRF, auth) and its zod input run as they do behind tRPC's HTTP handler.
 */
const HOT_MUTATIONS = new Map<string, (opts: Parameters<typeof appRouter.session.heartbeat>[0]) => Promise<unknown>>([
  ["session.heartbeat", appRouter.session.heartbeat],
  ["session.join", appRouter.session.join],
  ["session.leave", appRouter.session.leave],
]);

const PREFIX = "/api/trpc/";
const MAX_BODY_BYTES = 64 * 1024;

export interface HotMutationOptions {
  services: Services;
  /** The app's `onError` for tRPC answers (logs 500s), called for errors answered here too. */
  onError: (error: TRPCError, path: string, requestId: string) => void;
  /** Where every request that is not the plain case goes, with its body read (`req.body`). */
  fallback: (req: IncomingMessage, res: LocalsResponse) => void;
  /** The client address under the app's `trust proxy` rule; asked only if a procedure reads it. */
  clientIp: (req: IncomingMessage) => string;
}

/**
 * Reads a body of known length. One chunk (a heartbeat's ~100 bytes always are) is decoded as it is.
 */
function readBody(req: IncomingMessage, done: (text: string) => void, failed: (error: Error) => void): void {
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  req.on("data", (chunk: Buffer) => {
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.once("end", () => done(more ? Buffer.concat(more).toString("utf8") : (first?.toString("utf8") ?? "")));
  req.once("error", failed);
}

/** The call's superjson payload when the body is tRPC's plain form of one call, else undefined. */
function payloadOf(text: string, batch: boolean): { json: unknown; meta?: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  let payload: unknown = parsed;
  if (batch) {
    // Exactly `{"0": …}`: one call.
    let keys = 0;
    for (const key in parsed) if (++keys > 1 || key !== "0") return undefined;
    payload = (parsed as Record<string, unknown>)["0"];
  }
  return typeof payload === "object" && payload !== null && "json" in payload
    ? (payload as { json: unknown })
    : undefined;
}

/**
 * A direct route for the hot presence mutations, taken in the web server's `node:http` listener
 * before express: express's routing and request decoration and tRPC's Fetch-API adapter (Headers,
 * AbortController, ReadableStream and WritableStream per call) cost several times the procedure
 * itself on a heartbeat (docs/performance.md). The request id, the request log line and the latency
 * histogram were already set up by the listener for every request, by the same functions.
 *
 * Only the plain case is taken: a POST of one call (batched or not, no other query parameter) with a
 * JSON body of known length. The procedure is the router's own — the same middlewares (outage guard,
 * CSRF, auth), the same zod input, the same context as tRPC builds — and its answer is written in
 * tRPC's envelope with the router's transformer, so the typed client cannot tell the difference. A
 * procedure's error is answered here with tRPC's own error shape (the router's formatter) and status
 * and reported to the same `onError`, so the procedure never runs twice. Anything else — another
 * path, a query string, a body that is not one well-formed call (malformed JSON, two calls, no
 * `json`, a superjson payload that does not deserialize) — goes to `fallback` (express and tRPC) with
 * the body already read, and is answered exactly as tRPC answers it.
 *
 * Returns whether it took the request (false: hand it on untouched).
 */
export function hotMutations(options: HotMutationOptions): (req: IncomingMessage, res: LocalsResponse) => boolean {
  const { services, onError, fallback, clientIp } = options;
  const resHeaders = (res: LocalsResponse): Context["resHeaders"] => ({
    append: (name, value) => void res.appendHeader(name, value),
  });

  async function serve(
    req: IncomingMessage,
    res: LocalsResponse,
    path: string,
    batch: boolean,
    text: string,
  ): Promise<void> {
    const payload = payloadOf(text, batch);
    let input: unknown;
    let deserialized = false;
    if (payload) {
      try {
        input = transformer.deserialize(payload as Parameters<typeof transformer.deserialize>[0]);
        deserialized = true;
      } catch {
        // tRPC answers it (below).
      }
    }
    if (!deserialized) {
      // tRPC reads an already-read body from `req.body`.
      (req as IncomingMessage & { body?: unknown }).body = text;
      return fallback(req, res);
    }

    let ctx: Context | undefined;
    let status = 200;
    let retryAfterMs: number | null = null;
    let answer: unknown;
    try {
      ctx = await createRequestContext(services, req, res, resHeaders(res), clientIp);
      const data = await HOT_MUTATIONS.get(path)!({
        ctx,
        path,
        type: "mutation",
        getRawInput: () => Promise.resolve(input),
        signal: undefined,
        batchIndex: 0,
      });
      answer = { result: { data: transformer.serialize(data) } };
    } catch (cause) {
      // As tRPC's handler does, a context that could not be built is answered the same way (500).
      const error = getTRPCErrorFromUnknown(cause);
      onError(error, path, res.locals.requestId);
      status = getHTTPStatusCodeFromError(error);
      const shape = getErrorShape({ config: appRouter._def._config, error, type: "mutation", path, input, ctx });
      retryAfterMs = (shape.data as { retryAfterMs?: number | null }).retryAfterMs ?? null;
      answer = { error: transformer.serialize(shape) };
    }
    const body = JSON.stringify(batch ? [answer] : answer);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      vary: "trpc-accept, accept",
      // A refusal's retry hint (rate limit, outage) as HTTP states it too: whole seconds.
      ...(retryAfterMs ? { "retry-after": String(Math.ceil(retryAfterMs / 1000)) } : {}),
    });
    res.end(body);
  }

  return (req, res) => {
    const url = req.url;
    if (req.method !== "POST" || url === undefined || !url.startsWith(PREFIX)) return false;
    const queryAt = url.indexOf("?", PREFIX.length);
    const path = queryAt < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, queryAt);
    if (!HOT_MUTATIONS.has(path)) return false;
    const query = queryAt < 0 ? "" : url.slice(queryAt + 1);
    if (query !== "" && query !== "batch=1") return false;
    const length = Number(req.headers["content-length"]);
    const plain =
      length > 0 &&
      length <= MAX_BODY_BYTES &&
      (req.headers["content-type"] ?? "").startsWith("application/json") &&
      req.headers["trpc-accept"] === undefined;
    if (!plain) return false;

    readBody(
      req,
      (text) => {
        serve(req, res, path, query !== "", text).catch((error: unknown) => {
          // Only a bug here (formatting or writing the answer) gets this far.
          services.logger.error({ err: error, path, requestId: res.locals.requestId }, "hot mutation failed");
          if (res.headersSent) res.destroy();
          else res.writeHead(500).end();
        });
      },
      // The client went away mid-body: nobody is left to answer.
      () => res.destroy(),
    );
    return true;
  };
}
