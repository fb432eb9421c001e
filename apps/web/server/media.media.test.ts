import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

// The web server's media routes against the media run's real Janus.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const serverId = () => server.services.media.ids[0]!;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("/media/<serverId>/janus: the browser's way to Janus", () => {
  test("forwards the Janus API (info, and a refused session without a token)", async () => {
    const info = await fetch(`${server.url}/media/${serverId()}/janus/info`);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ janus: "server_info", name: "Janus WebRTC Server" });

    const create = await fetch(`${server.url}/media/${serverId()}/janus`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ janus: "create", transaction: "t1" }),
    });
    expect(await create.json()).toMatchObject({ janus: "error", error: { code: 403 } });
  });

  test("unknown servers, other methods, other paths and oversized bodies are refused", async () => {
    expect((await fetch(`${server.url}/media/nope/janus/info`)).status).toBe(404);
    expect((await fetch(`${server.url}/media/${serverId()}/janus`, { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${server.url}/media/${serverId()}/janus/../admin`)).status).toBe(404);
    const big = await fetch(`${server.url}/media/${serverId()}/janus`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ janus: "create", padding: "x".repeat(100_000) }),
    });
    expect(big.status).toBe(413);
  });
});

describe("/media/<serverId>/janus: a budget per client address", () => {
  test("past the burst, 429 RATE_LIMITED with Retry-After; Janus is not asked", async () => {
    const limited = await startTestServer({
      env: { ROOM_RATE_MEDIA_PROXY_BURST: "3", ROOM_RATE_MEDIA_PROXY_PER_SECOND: "0.01" },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${limited.url}/media/${serverId()}/janus/info`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await fetch(`${limited.url}/media/${serverId()}/janus/info`);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ reason: "RATE_LIMITED" });
    } finally {
      await limited.close();
    }
  });
});

describe("/media/events: Janus's event handler", () => {
  test("only Janus, with the media admin secret, may post; its events are handled", async () => {
    const post = (authorization?: string) =>
      fetch(`${server.url}/media/events`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify([{ type: 1, event: { name: "created" } }]),
      });
    expect((await post()).status).toBe(401);
    expect((await post(basic("janus", "wrong-secret"))).status).toBe(401);
    expect((await post(basic("someone", server.services.config.media.adminSecret))).status).toBe(401);
    expect((await post(basic("janus", server.services.config.media.adminSecret))).status).toBe(204);
  });
});
