import { createApiClient } from "@livehall/api/client";
import { createSessionFixture } from "@livehall/api/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signedUpClient, startTestServer, type TestServer } from "./test-server";

// A test file runs in its own process, so the registry starts from zero here.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

async function metric(name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

test("/metrics shows exactly what a scripted scenario did", async () => {
  const { session } = await createSessionFixture(server.services);
  const clients = await Promise.all(["ana", "ben"].map((name) => signedUpClient(server, `${name}@example.test`)));
  const [ana, ben] = clients as [(typeof clients)[number], (typeof clients)[number]];
  const tab = (client: typeof ana, connectionId: string) => ({ sessionId: session.id, connectionId, client });

  // 2 new participants, 1 second tab, 3 heartbeats answered ok, 1 answered rejoin, 1 leave.
  for (const { client, ...input } of [tab(ana, "ana-tab-1"), tab(ben, "ben-tab-1"), tab(ana, "ana-tab-2")])
    await client.session.join.mutate(input);
  for (const { client, ...input } of [
    tab(ana, "ana-tab-1"),
    tab(ana, "ana-tab-2"),
    tab(ben, "ben-tab-1"),
    tab(ben, "ben-tab-9"),
  ])
    await client.session.heartbeat.mutate(input);
  await ben.session.leave.mutate({ sessionId: session.id, connectionId: "ben-tab-1" });
  await expect(
    createApiClient({ url: server.trpcUrl, maxAttempts: 1 }).auth.refresh.mutate({
      refreshToken: "n".repeat(43),
      delivery: "body",
    }),
  ).rejects.toThrow();

  expect(await metric("livehall_session_joins_total", 'outcome="new_participant"')).toBe(2);
  expect(await metric("livehall_session_joins_total", 'outcome="another_tab_or_retry"')).toBe(1);
  expect(await metric("livehall_heartbeats_total", 'answer="ok"')).toBe(3);
  expect(await metric("livehall_heartbeats_total", 'answer="rejoin"')).toBe(1);
  expect(await metric("livehall_participants_left_total", 'reason="LEFT"')).toBe(1);
  expect(await metric("livehall_auth_refresh_failure_total", 'reason="REFRESH_TOKEN_INVALID"')).toBe(1);
  expect(await metric("livehall_http_request_duration_seconds_count", 'route="trpc",method="POST",status="2xx"')).toBe(
    10,
  );
  // Ana is still in with two tabs; Ben left.
  expect(await metric("livehall_active_participants")).toBe(1);
  expect(await metric("livehall_active_connections")).toBe(2);
});
