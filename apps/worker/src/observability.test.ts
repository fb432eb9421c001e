import { closeServices, createLogger, createServices } from "@livehall/api";
import { loadWorkerConfig } from "@livehall/api/config";
import { waitFor } from "@livehall/testing";
import { afterAll, expect, test } from "vitest";
import { startWorkerProbes } from "./observability";

const config = loadWorkerConfig();
const services = createServices(config);
afterAll(() => closeServices(services));

test("the worker answers /healthz, /readyz and /metrics on its own port, and a busy port is not fatal", async () => {
  const logger = createLogger(config, "test");
  const probes = await startWorkerProbes(services, 0, logger);
  try {
    const base = `http://127.0.0.1:${probes.port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok");
    // Ready once the fail-fast Redis client has connected.
    const ready = await waitFor(async () => {
      const answer = await fetch(`${base}/readyz`);
      return answer.status === 200 ? answer : null;
    });
    expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain("# TYPE livehall_job_runs_total counter");
    expect(metrics).toContain("livehall_worker_process_cpu_seconds_total");

    const second = await startWorkerProbes(services, probes.port!, logger);
    expect(second.port).toBeNull();
    await second.close();
  } finally {
    await probes.close();
  }
});
