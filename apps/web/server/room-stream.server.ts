import type { IncomingMessage } from "node:http";
import {
  appRouter,
  createRoomFanout,
  RoomStreamRequest,
  SSE_OPENING,
  sseErrorFrame,
  transformer,
  type Context,
  type RoomFanout,
  type Services,
} from "@livehall/api";
import { getErrorShape, getTRPCErrorFromUnknown, type TRPCError } from "@trpc/server";
import { createRequestContext, type LocalsResponse } from "./request-context.server";

const PATH = "/api/trpc/session.onRoom";
/**
 * tRPC's own SSE headers (its `sseHeaders`), but for `connection`: the body is not chunked and ends
 * when the connection closes (HTTP/1.1's close-delimited body), so each event is one socket write of
 * its bytes, with no chunk framing around them (docs/decisions/023).
 */
const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  connection: "close",
};

export interface RoomStreamOptions {
  services: Services;
  /** The app's `onError` for tRPC answers (logs 500s), called for errors answered here too. */
  onError: (error: TRPCError, path: string, requestId: string) => void;
  /** The client address under the app's `trust proxy` rule; asked only if a procedure reads it. */
  clientIp: (req: IncomingMessage) => string;
}

/** `input` (and tRPC's `lastEventId`) of the plain case, else undefined: tRPC answers it. */
function plainQuery(url: string): { input: string; lastEventId: string | null } | undefined {
  if (url.length === PATH.length) return undefined;
  if (url[PATH.length] !== "?") return undefined;
  const query = new URLSearchParams(url.slice(PATH.length + 1));
  let input: string | null = null;
  let lastEventId: string | null = null;
  for (const [name, value] of query) {
    if (name === "input" && input === null) input = value;
    else if ((name === "lastEventId" || name === "Last-Event-Id") && lastEventId === null) lastEventId = value;
    else return undefined;
  }
  return input === null ? undefined : { input, lastEventId };
}

/**
 * The raw route of `session.onRoom` (docs/decisions/023), taken in the web server's `node:http`
 * listener beside the hot mutations: the browser's typed client (tRPC's `httpSubscriptionLink`) reaches
 * it at the procedure's own URL and reads the same SSE frames tRPC writes. The procedure is the
 * router's own — its middlewares (auth, outage guard) and zod input run as behind tRPC, and an error
 * there is framed with the router's error shape — but its answer, the checked request, goes to the
 * process's fan-out instead of being iterated: every tab of a session gets the same bytes.
 *
 * Only the plain case is taken: a GET with `input` (and at most tRPC's `lastEventId`) whose input
 * deserializes. Anything else (another parameter such as `connectionParams`, malformed input) goes
 * to tRPC untouched, and is answered as tRPC answers it. Returns whether it took the request.
 */
export function roomStreams(options: RoomStreamOptions): {
  handle: (req: IncomingMessage, res: LocalsResponse) => boolean;
  fanout: RoomFanout;
} {
  const { services, onError, clientIp } = options;
  const fanout = createRoomFanout({
    services,
    errorFrame: (cause, socket) => {
      const error = getTRPCErrorFromUnknown(cause);
      onError(error, "session.onRoom", (socket as LocalsResponse).locals.requestId);
      const shape = getErrorShape({
        config: appRouter._def._config,
        error,
        type: "subscription",
        path: "session.onRoom",
        input: undefined,
        ctx: undefined,
      });
      return sseErrorFrame(shape);
    },
  });
  const resHeaders = (res: LocalsResponse): Context["resHeaders"] => ({
    append: (name, value) => void res.appendHeader(name, value),
  });

  async function serve(req: IncomingMessage, res: LocalsResponse, input: unknown): Promise<void> {
    let ctx: Context | undefined;
    let request: unknown;
    let failure: TRPCError | undefined;
    try {
      ctx = await createRequestContext(services, req, res, resHeaders(res), clientIp);
      request = await appRouter.session.onRoom({
        ctx,
        path: "session.onRoom",
        type: "subscription",
        getRawInput: () => Promise.resolve(input),
        signal: undefined,
        batchIndex: 0,
      });
    } catch (cause) {
      failure = getTRPCErrorFromUnknown(cause);
    }
    if (res.destroyed) return;
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, SSE_HEADERS);
    res.write(SSE_OPENING);
    if (failure || !(request instanceof RoomStreamRequest)) {
      // As tRPC does, a refused subscription is an error event on a 200 stream.
      const error = failure ?? getTRPCErrorFromUnknown(new Error("session.onRoom answered no stream"));
      onError(error, "session.onRoom", res.locals.requestId);
      const shape = getErrorShape({
        config: appRouter._def._config,
        error,
        type: "subscription",
        path: "session.onRoom",
        input,
        ctx,
      });
      res.end(sseErrorFrame(shape));
      return;
    }
    fanout.open(request, res);
  }

  function handle(req: IncomingMessage, res: LocalsResponse): boolean {
    const url = req.url;
    if (req.method !== "GET" || url === undefined || !url.startsWith(PATH)) return false;
    const query = plainQuery(url);
    if (!query) return false;
    let input: unknown;
    try {
      input = transformer.deserialize(JSON.parse(query.input) as Parameters<typeof transformer.deserialize>[0]);
    } catch {
      return false;
    }
    // tRPC's rule: the EventSource's Last-Event-ID header, else the query's, joins the input.
    const header = req.headers["last-event-id"];
    const lastEventId = (typeof header === "string" ? header : null) ?? query.lastEventId;
    if (lastEventId) {
      if (typeof input === "object" && input !== null) input = { ...input, lastEventId };
      else input ??= { lastEventId };
    }
    serve(req, res, input).catch((error: unknown) => {
      services.logger.error({ err: error, requestId: res.locals.requestId }, "room stream failed");
      if (res.headersSent) res.destroy();
      else res.writeHead(500).end();
    });
    return true;
  }

  return { handle, fanout };
}
