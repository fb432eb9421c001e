import http from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics } from "prom-client";
import { metricsRegistry, type Logger, type Services } from "@livehall/api";

const CHECK_TIMEOUT_MS = 2_000;
let defaultMetricsStarted = false;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/**
 * The worker's own small HTTP port: `/metrics` (Prometheus), `/healthz` (alive) and `/readyz`
 * (Postgres and Redis answer). A port already in use is logged, not fatal: jobs matter more.
 */
export async function startWorkerProbes(
  services: Pick<Services, "db" | "redis">,
  port: number,
  logger: Logger,
): Promise<{ port: number | null; close(): Promise<void> }> {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics({ register: metricsRegistry, prefix: "livehall_worker_" });
    defaultMetricsStarted = true;
  }
  const server = http.createServer(async (req, res) => {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": metricsRegistry.contentType }).end(await metricsRegistry.metrics());
    } else if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (req.url === "/readyz") {
      const [postgres, redis] = await Promise.all([
        withTimeout(services.db.$queryRaw`SELECT 1`).then(
          () => "ok",
          () => "failed",
        ),
        withTimeout(services.redis.ping()).then(
          () => "ok",
          () => "failed",
        ),
      ]);
      const ready = postgres === "ok" && redis === "ok";
      res
        .writeHead(ready ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify({ status: ready ? "ready" : "unavailable", checks: { postgres, redis } }));
    } else {
      res.writeHead(404).end();
    }
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", (error) => {
      logger.error({ err: error, port }, "worker metrics port unavailable; running without /metrics");
      resolve(false);
    });
    server.listen(port, "0.0.0.0", () => resolve(true));
  });
  return {
    port: listening ? (server.address() as AddressInfo).port : null,
    close: () => new Promise((resolve) => (listening ? server.close(() => resolve()) : resolve())),
  };
}
