import { closedPortUrl, waitFor } from "@livehall/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let healthy: TestServer;

beforeAll(async () => {
  healthy = await startTestServer();
});

afterAll(() => healthy?.close());

test("/healthz answers 200 ok", async () => {
  const response = await fetch(`${healthy.url}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("ok");
});

test("/readyz answers 200 when Postgres and Redis answer", async () => {
  const response = await fetch(`${healthy.url}/readyz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    status: "ready",
    checks: { postgres: "ok", redis: "ok", media: "off" },
    media: {},
  });
});

test("/readyz answers 503 naming Redis when Redis is unreachable", async () => {
  const server = await startTestServer({ env: { REDIS_URL: await closedPortUrl("redis") }, waitUntilReady: false });
  try {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "unavailable",
      checks: { postgres: "ok", redis: "failed", media: "off" },
      media: {},
    });
    // Liveness is about the process, not its dependencies.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    await server.close();
  }
});

test("/readyz answers 503 naming Postgres when Postgres is unreachable", async () => {
  const server = await startTestServer({
    env: { DATABASE_URL: await closedPortUrl("postgresql") },
    waitUntilReady: false,
  });
  try {
    await waitFor(() => server.services.redis.status === "ready", { what: "Redis to connect" });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "unavailable",
      checks: { postgres: "failed", redis: "ok", media: "off" },
      media: {},
    });
  } finally {
    await server.close();
  }
});
