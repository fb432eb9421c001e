import { createCaller, createContext } from "@livehall/api";
import { asSessionUser, createSessionFixture, insertUsers } from "@livehall/api/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { STATE_GAUGES_MAX_AGE_MS } from "./observability.server";
import { startTestServer, type TestServer } from "./test-server";

// The services' clock runs `offset` ahead of real time, so the test moves past the gauges' cache age.
let offset = 0;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock: () => new Date(Date.now() + offset) });
});
afterAll(() => server?.close());

async function activeParticipants(): Promise<number> {
  const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("livehall_active_participants "));
  return Number(line!.split(" ")[1]);
}

test("/metrics is served on its own listener only: the public port answers 404", async () => {
  expect(server.metricsUrl).not.toBe(server.url);
  expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  const scrape = await fetch(`${server.metricsUrl}/metrics`);
  expect(scrape.status).toBe(200);
  expect(await scrape.text()).toContain("# TYPE livehall_active_participants gauge");
  expect((await fetch(`${server.metricsUrl}/healthz`)).status).toBe(404);
});

test("the state gauges are computed at most once per cache age, however many scrapes", async () => {
  const before = await activeParticipants();
  const { session } = await createSessionFixture(server.services);
  const [student] = await insertUsers(server.services, 1);
  await createCaller(createContext(server.services, { user: asSessionUser(student!) })).session.join({
    sessionId: session.id,
    connectionId: "metrics-tab-1",
  });

  // Scrapes before the cache age passes (on the services' clock) report the cached value.
  expect(await Promise.all([activeParticipants(), activeParticipants(), activeParticipants()])).toEqual([
    before,
    before,
    before,
  ]);
  offset += STATE_GAUGES_MAX_AGE_MS;
  expect(await activeParticipants()).toBe(before + 1);
});
