import { appRouter, createCaller, transformer, type Services } from "@livehall/api";
import { getErrorShape, getTRPCErrorFromUnknown, type TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { createRequestContext } from "./request-context.server";

type Caller = ReturnType<typeof createCaller>;

/**
 * The presence mutations every open room tab sends (a heartbeat every 30 s per tab; joins in storms
 * when a session starts).
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
 * Only the plain case is taken: one POSTed call (batched or not) with a JSON body of known length;
 * anything else goes on to the tRPC handler with the body already read (tRPC uses `req.body` when
 * present). A procedure's error is answered here with tRPC's own error shape and status (the same
 * formatter, the same `onError`), so the procedure never runs twice.
 */
export function hotMutations(services: Services, onError: (error: TRPCError, path: string, requestId: string) => void): RequestHandler {
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

      let input: never;
      try {
        input = transformer.deserialize(payload as Parameters<typeof transformer.deserialize>[0]) as never;
      } catch {
        return next();
      }
      const ctx = await createRequestContext(services, req, res, { append: (header, value) => void res.appendHeader(header, value) });
      let status = 200;
      let answer: unknown;
      try {
        answer = { result: { data: transformer.serialize(await call(createCaller(ctx), input)) } };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        onError(error, name, ctx.req.requestId);
        status = getHTTPStatusCodeFromError(error);
        const shape = getErrorShape({ config: appRouter._def._config, error, type: "mutation", path: name, input, ctx });
        answer = { error: transformer.serialize(shape) };
      }
      const body = JSON.stringify(batch ? [answer] : answer);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), vary: "trpc-accept, accept" });
      res.end(body);
    })().catch(next);
  };
}
