import http from "node:http";
import type { AddressInfo } from "node:net";
import { TRUSTED_PROXY, appRouter, assertBatchAllowed, type Logger, type Services } from "@livehall/api";
import type { WebConfig } from "@livehall/api/config";
import type { TRPCError } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import compression from "compression";
import express, { type Request } from "express";
import { healthRouter } from "./health.server";
import { hotMutations } from "./hot-mutations.server";
import { mediaRouter } from "./media.server";
import { createMetricsServer, requestObservability } from "./observability.server";
import { mountRemix } from "./remix.server";
import { roomStreams } from "./room-stream.server";
import { assignRequestId, createRequestContext } from "./request-context.server";
import { securityHeaders } from "./security-headers.server";

export type RemixOptions =
  | {
      /** `vite` in development, `build` in production; `none` serves the API only (tests). */
      remix: "vite" | "build";
      /** The web app's folder: vite.config.ts and build/ live there. */
      appRoot: string;
    }
  | { remix?: "none"; appRoot?: undefined };

export type WebServerOptions = RemixOptions & {
  config: WebConfig;
  services: Services;
};

export interface WebServer {
  server: http.Server;
  /**
   * Starts listening, and the /metrics listener on its own host and port (config.metrics); resolves
   * with the public base URL (the real port when `port` is 0).
   */
  listen(port: number, host?: string): Promise<string>;
  /** The /metrics listener's base URL, once listening. */
  metricsUrl(): string;
  /** Room streams open on the raw fan-out (tabs) and the sessions they follow. */
  roomStreams(): { tabs: number; sessions: number };
  /** Stops accepting, lets in-flight requests finish, ends event streams. Services stay open. */
  close(): Promise<void>;
}

const MAX_REQUEST_BODY_BYTES = 1_000_000;
/** How long shutdown lets in-flight requests finish before cutting the remaining connections. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * tRPC writes its answers as a stream (no Content-Length), so compression cannot see they are below
 * its threshold and would gzip every one, a zlib stream per request. Mutations (heartbeat, join,
 * leave, sign-in…) answer a few hundred bytes: they skip the middleware (and its per-response
 * wrapping) and go out as they are. Queries (lists) and pages still compress.
 */
function isTrpcMutation(req: Request): boolean {
  return req.method === "POST" && req.originalUrl.startsWith("/api/trpc/");
}

function isEventStream(res: http.ServerResponse): boolean {
  return String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");
}

/**
 * The responses in flight (for a graceful shutdown): an array with swap-remove, not a `Set`. Measured
 * under heartbeat load (--trace-gc-nvp): with a `Set` gaining and losing an entry per request, every
 * young-generation GC kept ~3 MB of finished requests alive and promoted them (5–10 ms pauses instead
 * of ~1 ms, and frequent full GCs); with this, nothing. The likely cause: the Set's hash table is
 * rebuilt every few requests, V8 links each retired table to its successor (for live iterators), and
 * a retired table that reached the old generation keeps the responses it named reachable for
 * young-generation GCs.
 */
class InFlight<T extends object> {
  private readonly items: T[] = [];
  private readonly index = new WeakMap<T, number>();

  add(item: T): void {
    this.index.set(item, this.items.length);
    this.items.push(item);
  }

  remove(item: T): void {
    const at = this.index.get(item);
    if (at === undefined) return;
    this.index.delete(item);
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[at] = last;
      this.index.set(last, at);
    }
  }

  all(): readonly T[] {
    return [...this.items];
  }
}

/**
 * ioredis reports every failed reconnect (and prints them itself when nobody listens); one line per
 * outage is enough, /readyz tells the rest.
 */
function reportRedisOutages(redis: Services["redis"], logger: Logger): void {
  let down = false;
  const onError = (error: Error) => {
    if (!down) logger.warn({ err: error }, "redis unavailable");
    down = true;
  };
  const onReady = () => {
    if (down) logger.info("redis available again");
    down = false;
  };
  redis.on("error", onError).on("ready", onReady);
}

/** Resolves with the base URL `server` listens on (the real port when `port` is 0). */
function listenOn(server: http.Server, port: number, host: string, backlog?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog }, () => {
      server.off("error", reject);
      const { port: actualPort } = server.address() as AddressInfo;
      const publicHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
      resolve(`http://${publicHost}:${actualPort}`);
    });
  });
}

/** Pending connections the kernel queues for the server before it accepts them. */
const LISTEN_BACKLOG = 2048;

export async function createWebServer(options: WebServerOptions): Promise<WebServer> {
  const { config, services } = options;
  const { logger } = services;
  reportRedisOutages(services.redis, logger);
  const app = express();

  let shuttingDown = false;
  const openResponses = new InFlight<http.ServerResponse>();
  const observe = requestObservability(logger);
  /** Answers that are bugs (500s) are logged with their cause; everything else is a normal answer. */
  const logProcedureFailure = (error: TRPCError, path: string, requestId: string | undefined) => {
    if (error.code === "INTERNAL_SERVER_ERROR")
      logger.error({ err: error.cause ?? error, path, requestId }, "procedure failed");
  };
  // Express's own `req.ip`, i.e. its `trust proxy` rule below, for a request it has not decorated.
  const clientIp = (req: http.IncomingMessage) => (Object.setPrototypeOf(req, app.request) as Request).ip ?? "unknown";
  // The hot presence mutations skip express and tRPC's Fetch-API conversion; everything else is theirs.
  const hot = hotMutations({
    services,
    onError: logProcedureFailure,
    fallback: (req, res) => app(req, res),
    clientIp,
  });
  // Room streams skip them too: one process-wide fan-out writes each event's bytes to every tab.
  const rooms = roomStreams({
    services,
    onError: logProcedureFailure,
    clientIp,
  });
  // What every request gets, whoever answers it: an id, the request log line and latency histogram,
  // and tracking for a graceful shutdown.
  const server = http.createServer((req, plainRes) => {
    const res = assignRequestId(req, plainRes);
    openResponses.add(res);
    res.once("close", () => openResponses.remove(res));
    // Behind a load balancer, closing the connection after the answer moves the client elsewhere.
    if (shuttingDown) res.setHeader("connection", "close");
    observe(req, res);
    if (!hot(req, res) && !rooms.handle(req, res)) app(req, res);
  });

  app.disable("x-powered-by");
  // Behind the local round-robin proxy (start:cluster) or a load balancer on loopback, the client IP
  // comes from X-Forwarded-For; rate limits per IP depend on it.
  app.set("trust proxy", TRUSTED_PROXY);
  // Event streams are left alone: tRPC marks them `no-transform`, which compression honours.
  const compress = compression();
  app.use((req, res, next) => (isTrpcMutation(req) ? next() : compress(req, res, next)));
  app.use(securityHeaders);
  app.use(healthRouter(services));
  app.use(mediaRouter(services));
  app.use(
    "/api/trpc",
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: MAX_REQUEST_BODY_BYTES,
      createContext: ({ req, res, info }) => {
        // Before auth: a refused batch costs no token check or refresh.
        assertBatchAllowed(info, config.limits.trpcMaxBatch);
        // Headers procedures add (cookies) go straight onto the answer.
        return createRequestContext(services, req, res, {
          append: (name, value) => void res.appendHeader(name, value),
        });
      },
      onError: ({ error, path, ctx }) => logProcedureFailure(error, path ?? "", ctx?.req.requestId),
    }),
  );

  const remix =
    options.remix === "vite" || options.remix === "build"
      ? await mountRemix(app, {
          mode: options.remix,
          appRoot: options.appRoot,
          httpServer: server,
          services,
          serverMode: config.env,
        })
      : null;

  const metricsServer = createMetricsServer(services);
  let metricsUrl: string | null = null;
  let closing: Promise<void> | null = null;

  return {
    server,
    async listen(port, host = config.host) {
      // A session starting brings hundreds of browsers at once; Node's default backlog (511)
      // would drop their SYNs and make each wait a second for the retry (capped by somaxconn).
      const url = await listenOn(server, port, host, LISTEN_BACKLOG);
      metricsUrl = await listenOn(metricsServer, config.metrics.port, config.metrics.host);
      logger.info({ url: `${metricsUrl}/metrics` }, "metrics listening");
      return url;
    },
    roomStreams: () => rooms.fanout.stats(),
    metricsUrl() {
      if (!metricsUrl) throw new Error("the web server is not listening");
      return metricsUrl;
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        const stopped = new Promise<void>((resolve, reject) => {
          server.close((error) => {
            const neverStarted = (error as NodeJS.ErrnoException | undefined)?.code === "ERR_SERVER_NOT_RUNNING";
            if (error && !neverStarted) reject(error);
            else resolve();
          });
        });
        metricsServer.close();
        metricsServer.closeAllConnections();
        server.closeIdleConnections();
        rooms.fanout.close();
        for (const res of openResponses.all()) {
          // Subscriptions never finish on their own; their clients reconnect to another instance.
          if (isEventStream(res)) res.destroy();
          else if (!res.headersSent) res.setHeader("connection", "close");
        }
        const drainDeadline = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
        try {
          await stopped;
        } finally {
          clearTimeout(drainDeadline);
        }
        await remix?.close();
      })();
      return closing;
    },
  };
}
