import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import { MEDIA_EVENTS_USER, handleMediaEvents, spendRoomBudget, type Services } from "@livehall/api";
import { TRPCError } from "@trpc/server";
import express, { Router, type Request, type RequestHandler, type Response } from "express";

/** SDP offers and trickled candidates are a few kB; nothing a browser sends Janus comes near this. */
const MAX_MEDIA_REQUEST_BYTES = 64 * 1024;
/** Janus holds a long poll for up to 30 s; a request quiet for longer than this is dead. */
const PROXY_TIMEOUT_MS = 45_000;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Basic auth of Janus's event handler (backend_user / backend_pwd). */
function isJanus(req: Request, adminSecret: string): boolean {
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return (
    colon > 0 && decoded.slice(0, colon) === MEDIA_EVENTS_USER && sameSecret(decoded.slice(colon + 1), adminSecret)
  );
}

/** Forwards one browser request to a media server's Janus API, streaming both ways. */
function forward(req: Request, res: Response, target: URL): void {
  const upstream = http.request(
    target,
    {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      timeout: PROXY_TIMEOUT_MS,
    },
    (answer) => {
      res.status(answer.statusCode ?? 502);
      res.set("content-type", answer.headers["content-type"] ?? "application/json");
      res.set("cache-control", "no-store");
      answer.pipe(res);
    },
  );
  let refused = false;
  const fail = () => {
    if (refused) return;
    if (!res.headersSent)
      res.status(502).json({ reason: "MEDIA_UNAVAILABLE", message: "The media server did not answer." });
    else res.destroy();
  };
  upstream.on("timeout", () => upstream.destroy(new Error("timeout")));
  upstream.on("error", fail);
  // The browser went away (a long poll of a closed tab): so does the upstream request.
  res.on("close", () => upstream.destroy());
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_MEDIA_REQUEST_BYTES && !refused) {
      // Janus gets nothing; the rest of the body is read and dropped, then the connection closes.
      refused = true;
      req.unpipe(upstream);
      upstream.destroy();
      if (!res.headersSent) {
        res.status(413).set("connection", "close").json({ reason: "PAYLOAD_TOO_LARGE", message: "Request too large." });
      }
      req.resume();
    }
  });
  req.pipe(upstream);
}

/**
 * The media routes: browsers reach each media server's Janus API at /media/<serverId>/janus (so the
 * page's CSP keeps connect-src 'self'), and Janus's event handler posts to /media/events.
 */
export function mediaRouter(services: Services): Router {
  const router = Router();
  // Who posts is checked before anything is read.
  const onlyJanus: RequestHandler = (req, res, next) => {
    if (isJanus(req, services.config.media.adminSecret)) next();
    else res.status(401).json({ reason: "UNAUTHENTICATED" });
  };
  router.post("/media/events", onlyJanus, express.json({ limit: "2mb", type: () => true }), async (req, res) => {
    try {
      await handleMediaEvents(services, req.body);
      res.status(204).end();
    } catch (error) {
      // Janus retries a failed delivery; media.reconcile repairs what is still missed.
      services.logger.error({ err: error }, "media: event handling failed");
      res.status(500).json({ reason: "INTERNAL" });
    }
  });
  // The Janus API's own paths only: the root, /info, /<session> and /<session>/<handle>.
  router.all(/^\/media\/([A-Za-z0-9_-]{1,64})\/janus(\/info|\/[0-9]{1,20}(?:\/[0-9]{1,20})?)?$/, async (req, res) => {
    const admin = services.media.admin(req.params[0]!);
    if (!admin || (req.method !== "GET" && req.method !== "POST")) {
      res.status(404).json({ reason: "NOT_FOUND", message: "No such media server." });
      return;
    }
    try {
      await spendRoomBudget(services, "mediaProxy", req.ip ?? "unknown");
    } catch (error) {
      if (!(error instanceof TRPCError) || error.code !== "TOO_MANY_REQUESTS") {
        // Redis is down: no budget can be kept, and the room is failing anyway.
        res.status(503).json({ reason: "SERVICE_UNAVAILABLE", message: "Try again in a moment." });
        return;
      }
      const retryAfterMs = (error.cause as { retryAfterMs?: number } | undefined)?.retryAfterMs ?? 1_000;
      res
        .status(429)
        .set("retry-after", String(Math.ceil(retryAfterMs / 1000)))
        .json({ reason: "RATE_LIMITED", message: "Too many media requests from this address. Try again shortly." });
      return;
    }
    const target = new URL(`${admin.server.apiUrl}${req.params[1] ?? ""}`);
    target.search = new URL(req.originalUrl, "http://x").search;
    forward(req, res, target);
  });
  return router;
}
