import { collectDefaultMetrics, Gauge, Histogram } from "prom-client";
import { countConnections, metricsRegistry, type Logger, type Services } from "@livehall/api";
import http, { type IncomingMessage } from "node:http";
import express from "express";
import type { LocalsResponse } from "./request-context.server";

let defaultMetricsStarted = false;

const httpDuration = new Histogram({
  name: "livehall_http_request_duration_seconds",
  help: "HTTP request duration, by route kind, method and status class",
  labelNames: ["route", "method", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

/** A malformed escape (`%E0%A4%A`) in a path must not throw from a `finish` listener. */
function decodedOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** What a request was, for logs and metrics: the tRPC procedure(s), a page, an asset or a probe. */
function routeOf(url: string): { route: string; procedure: string | null; path: string } {
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  if (path.startsWith("/api/trpc/"))
    return { route: "trpc", procedure: decodedOrRaw(path.slice("/api/trpc/".length)), path };
  if (path === "/healthz" || path === "/readyz" || path === "/metrics")
    return { route: "probe", procedure: null, path };
  // A calendar feed's path is its secret (routes/calendar.$file.ts): logged without it.
  if (path.startsWith("/calendar/")) return { route: "page", procedure: null, path: "/calendar/:token.ics" };
  if (
    path.startsWith("/assets/") ||
    path.startsWith("/@") ||
    path.startsWith("/node_modules/") ||
    path.startsWith("/app/")
  ) {
    return { route: "asset", procedure: null, path };
  }
  return { route: "page", procedure: null, path };
}

/**
 * One structured log line per request (id, user, procedure, duration, outcome) and the latency
 * histogram. Tokens and cookies are never logged; probes and assets only at debug level. The web
 * server calls it from its `node:http` listener for every request, before any routing, so requests
 * express never sees (the hot presence mutations) are logged and measured by the same code. Call it
 * after `assignRequestId`.
 */
export function requestObservability(logger: Logger) {
  return (req: IncomingMessage, res: LocalsResponse): void => {
    const startedAt = performance.now();
    // Express rewrites `req.url` under mounted routers; what was asked for is read now.
    const url = req.url ?? "/";
    res.once("finish", () => {
      const { route, procedure, path } = routeOf(url);
      const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
      const status = res.statusCode;
      httpDuration.observe(
        { route, method: req.method ?? "", status: `${Math.floor(status / 100)}xx` },
        durationMs / 1000,
      );
      const level = route === "probe" || route === "asset" ? "debug" : status >= 500 ? "error" : "info";
      // The line is built only when it is written (production runs at `warn` or above under load).
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        requestId: res.locals.requestId,
        userId: res.locals.userId ?? null,
        method: req.method,
        path: procedure ? undefined : path,
        procedure: procedure ?? undefined,
        status,
        durationMs,
      };
      logger[level](line, "request");
    });
  };
}

/** The state gauges are computed at most this often, however many scrapers ask. */
export const STATE_GAUGES_MAX_AGE_MS = 10_000;

type GaugeServices = Pick<Services, "db" | "redis" | "keys" | "clock">;

/**
 * `compute`'s value, recomputed only when the last one is older than STATE_GAUGES_MAX_AGE_MS;
 * scrapes in between (and concurrent ones) share it. A failure keeps the previous value.
 */
function cachedForScrapes(compute: () => Promise<number>, clock: () => Date): () => Promise<number | undefined> {
  let computedAt = -Infinity;
  let value: number | undefined;
  let pending: Promise<number | undefined> | null = null;
  return () => {
    const now = clock().getTime();
    if (!pending || now - computedAt >= STATE_GAUGES_MAX_AGE_MS) {
      computedAt = now;
      pending = compute().then(
        (fresh) => (value = fresh),
        () => value,
      );
    }
    return pending;
  };
}

/**
 * Whole-system gauges, read from Postgres (a count) and Redis (a keyspace SCAN) at most once per
 * STATE_GAUGES_MAX_AGE_MS. Every instance reports the same value; dashboards take max() across
 * instances.
 */
function registerStateGauges(services: GaugeServices) {
  const activeParticipants = cachedForScrapes(
    () => services.db.sessionParticipant.count({ where: { leftAt: null } }),
    services.clock,
  );
  const activeConnections = cachedForScrapes(() => countConnections(services), services.clock);
  new Gauge({
    name: "livehall_active_participants",
    help: "Active participant rows (Postgres)",
    registers: [metricsRegistry],
    async collect() {
      // An outage must not break the whole scrape: the gauge keeps its last value.
      const count = await activeParticipants();
      if (count !== undefined) this.set(count);
    },
  });
  new Gauge({
    name: "livehall_active_connections",
    help: "Open room connections (Redis presence)",
    registers: [metricsRegistry],
    async collect() {
      const count = await activeConnections();
      if (count !== undefined) this.set(count);
    },
  });
}

/**
 * The `/metrics` listener (Prometheus text format), kept off the public port: it answers nothing
 * else, and the public port answers 404 for /metrics.
 */
export function createMetricsServer(services: GaugeServices): http.Server {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics({ register: metricsRegistry, prefix: "livehall_web_" });
    registerStateGauges(services);
    defaultMetricsStarted = true;
  }
  const app = express();
  app.disable("x-powered-by");
  app.get("/metrics", async (_req, res) => {
    res
      .set("content-type", metricsRegistry.contentType)
      .set("cache-control", "no-store")
      .send(await metricsRegistry.metrics());
  });
  return http.createServer(app);
}
