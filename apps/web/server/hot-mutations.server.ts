import { createCaller, transformer, type Services } from "@livehall/api";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { createRequestContext } from "./request-context.server";

type Caller = ReturnType<typeof createCaller>;

/**
 * The presence mutations every open room tab sends (a heartbeat every 30 s per tab; joins in storms
 * when a session starts). All three are idempotent, which the fallback below relies on.
 */
const HOT_MUTATIONS: Record<string, (caller: Caller, input: never) => Promise<unknown>> = {
  "session.heartbeat": (caller, input: Parameters<Caller["session"]["heartbeat"]>[0]) => caller.session.heartbeat(input),
  "session.join": (caller, input: Parameters<Caller["session"]["join"]>[0]) => caller.session.join(input),
  "session.leave": (caller, input: Parameters<Caller["session"]["leave"]>[0]) => caller.session.leave(input),
};

const MAX_BODY_BYTES = 64 * 1024;

function readBody(req: Request, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks, length).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * A direct route for the hot presence mutations, in front of the tRPC handler (mount both at
 * /api/trpc). tRPC's Node adapter turns every request into a Fetch `Request` and every answer into a
 * web stream (Headers, AbortController, ReadableStream and WritableStream per call): on a heartbeat
 * that costs several times the procedure itself (docs/performance.md). Here the same procedure runs
 * through the server-side caller — the same middlewares (outage guard, CSRF, auth), the same input
 * validation, the same context — and its answer is written in tRPC's own envelope, so the typed
 * client cannot tell the difference.
 *
 * Only the plain case is taken: one POSTed call (batched or not) with a JSON body of known length.
 * Anything else, and every error, goes on to the tRPC handler with the body already read (tRPC uses
 * `req.body` when present), which answers exactly as it always does; the procedure may then run a
 * second time, which is why only idempotent mutations are listed.
 */
export function hotMutations(services: Services): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "POST") return next();
    const name = req.path.slice(1);
    const call = HOT_MUTATIONS[name];
    const length = Number(req.headers["content-length"]);
    const batch = req.query.batch === "1";
    const plain =
      call &&
      length > 0 &&
      length <= MAX_BODY_BYTES &&
      String(req.headers["content-type"] ?? "").startsWith("application/json") &&
      req.headers["trpc-accept"] === undefined &&
      Object.keys(req.query).length === (batch ? 1 : 0);
    if (!plain) return next();

    void (async () => {
      const text = await readBody(req, length);
      (req as Request & { body?: unknown }).body = text;
      let payload: unknown;
      try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (batch && (typeof parsed !== "object" || parsed === null || Object.keys(parsed).join() !== "0")) return next();
        payload = batch ? parsed["0"] : parsed;
      } catch {
        return next();
      }
      if (typeof payload !== "object" || payload === null || !("json" in payload)) return next();

      let output: unknown;
      try {
        const input = transformer.deserialize(payload as Parameters<typeof transformer.deserialize>[0]) as never;
        const ctx = await createRequestContext(services, req, res, { append: (header, value) => void res.appendHeader(header, value) });
        output = await call(createCaller(ctx), input);
      } catch {
        // tRPC answers errors (status, reason, logging) as it always does.
        return next();
      }
      const result = { result: { data: transformer.serialize(output) } };
      const body = JSON.stringify(batch ? [result] : result);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body), vary: "trpc-accept, accept" });
      res.end(body);
    })().catch(next);
  };
}
