import { collectDefaultMetrics, Histogram } from "prom-client";
import { metricsRegistry, type Logger } from "@livehall/api";
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

/** `/metrics` in Prometheus text format. */
export function metricsRouter(): Router {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics({ register: metricsRegistry, prefix: "livehall_web_" });
    defaultMetricsStarted = true;
  }
  const router = Router();
  router.get("/metrics", async (_req, res) => {
    res.set("content-type", metricsRegistry.contentType).set("cache-control", "no-store").send(await metricsRegistry.metrics());
  });
  return router;
}
