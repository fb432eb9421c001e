import { collectDefaultMetrics, Gauge, Histogram } from "prom-client";
import { countConnections, metricsRegistry, type Logger, type Services } from "@livehall/api";
import { Router, type NextFunction, type Request, type Response } from "express";

let defaultMetricsStarted = false;

const httpDuration = new Histogram({
  name: "livehall_http_request_duration_seconds",
  help: "HTTP request duration, by route kind, method and status class",
  labelNames: ["route", "method", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

/** What a request was, for logs and metrics: the tRPC procedure(s), a page, an asset or a probe. */
function routeOf(req: Request): { route: string; procedure: string | null } {
  const path = req.path;
  if (req.originalUrl.startsWith("/api/trpc/")) {
    const procedure = req.originalUrl.slice("/api/trpc/".length).split("?")[0] ?? "";
    return { route: "trpc", procedure: decodeURIComponent(procedure) };
  }
  if (path === "/healthz" || path === "/readyz" || path === "/metrics") return { route: "probe", procedure: null };
  if (path.startsWith("/assets/") || path.startsWith("/@") || path.startsWith("/node_modules/") || path.startsWith("/app/")) {
    return { route: "asset", procedure: null };
  }
  return { route: "page", procedure: null };
}

/**
 * One structured log line per request (id, user, procedure, duration, outcome) and the latency
 * histogram. Tokens and cookies are never logged; probes and assets only at debug level.
 */
export function requestObservability(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const startedAt = performance.now();
    res.on("finish", () => {
      const { route, procedure } = routeOf(req);
      const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
      httpDuration.observe({ route, method: req.method, status: `${Math.floor(res.statusCode / 100)}xx` }, durationMs / 1000);
      const line = {
        requestId: res.locals.requestId,
        userId: res.locals.userId ?? null,
        method: req.method,
        path: procedure ? undefined : req.path,
        procedure: procedure ?? undefined,
        status: res.statusCode,
        durationMs,
      };
      const level = route === "probe" || route === "asset" ? "debug" : res.statusCode >= 500 ? "error" : "info";
      logger[level](line, "request");
    });
    next();
  };
}

/**
 * Whole-system gauges, read at scrape time from Postgres and Redis. Every instance reports the same
 * value; dashboards take max() across instances.
 */
function registerStateGauges(services: Pick<Services, "db" | "redis" | "keys">) {
  new Gauge({
    name: "livehall_active_participants",
    help: "Active participant rows (Postgres)",
    registers: [metricsRegistry],
    async collect() {
      // An outage must not break the whole scrape: the gauge keeps its last value.
      await services.db.sessionParticipant.count({ where: { leftAt: null } }).then((count) => this.set(count), () => undefined);
    },
  });
  new Gauge({
    name: "livehall_active_connections",
    help: "Open room connections (Redis presence)",
    registers: [metricsRegistry],
    async collect() {
      await countConnections(services).then((count) => this.set(count), () => undefined);
    },
  });
}

/** `/metrics` in Prometheus text format. */
export function metricsRouter(services: Pick<Services, "db" | "redis" | "keys">): Router {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics({ register: metricsRegistry, prefix: "livehall_web_" });
    registerStateGauges(services);
    defaultMetricsStarted = true;
  }
  const router = Router();
  router.get("/metrics", async (_req, res) => {
    res.set("content-type", metricsRegistry.contentType).set("cache-control", "no-store").send(await metricsRegistry.metrics());
  });
  return router;
}
