import { mediaServersStatus, type Logger, type Services } from "@livehall/api";
import { Router } from "express";

// A probe must answer before the orchestrator's own timeout, even when a dependency hangs.
const CHECK_TIMEOUT_MS = 2_000;

type CheckResult = "ok" | "failed";

async function check(logger: Logger, name: string, probe: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return "ok";
  } catch (error) {
    logger.warn({ check: name, err: error }, "readiness check failed");
    return "failed";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process is alive. `/readyz`: it can serve traffic (Postgres and Redis answer). It
 * also reports the media servers, without depending on them: a class without video still runs.
 */
export function healthRouter(services: Services): Router {
  const { db, redis, logger } = services;
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.set("cache-control", "no-store").type("text/plain").send("ok");
  });
  router.get("/readyz", async (_req, res) => {
    const [postgresStatus, redisStatus, media] = await Promise.all([
      check(logger, "postgres", () => db.$queryRaw`SELECT 1`),
      check(logger, "redis", () => redis.ping()),
      // Within the probe's budget too: a hung media server counts as down.
      Promise.race([
        mediaServersStatus(services, { detail: false }),
        new Promise<null>((resolve) => setTimeout(resolve, CHECK_TIMEOUT_MS, null).unref()),
      ]),
    ]);
    const ready = postgresStatus === "ok" && redisStatus === "ok";
    const servers = media ?? services.media.ids.map((id) => ({ id, up: false }));
    const mediaCheck = servers.length === 0 ? "off" : servers.every((server) => server.up) ? "ok" : "down";
    res
      .status(ready ? 200 : 503)
      .set("cache-control", "no-store")
      .json({
        status: ready ? "ready" : "unavailable",
        checks: { postgres: postgresStatus, redis: redisStatus, media: mediaCheck },
        media: Object.fromEntries(servers.map((server) => [server.id, server.up ? "ok" : "down"])),
      });
  });
  return router;
}
