import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

test("/metrics exposes request latency, auth, presence and process figures in Prometheus format", async () => {
  await fetch(`${server.trpcUrl}/course.list`);
  await fetch(`${server.trpcUrl}/auth.refresh`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ json: { refreshToken: "x".repeat(43), delivery: "body" } }),
  });
  const response = await fetch(`${server.metricsUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const text = await response.text();
  expect(text).toMatch(/livehall_http_request_duration_seconds_count\{route="trpc",method="GET",status="2xx"\} [1-9]/);
  expect(text).toMatch(/livehall_auth_refresh_failure_total\{reason="REFRESH_TOKEN_INVALID"\} [1-9]/);
  expect(text).toContain("# TYPE livehall_session_joins_total counter");
  expect(text).toContain("livehall_web_process_cpu_seconds_total");
  // Secrets never appear, not even the refresh token the client sent.
  expect(text).not.toContain("x".repeat(43));
});
