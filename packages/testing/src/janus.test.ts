import { randomUUID } from "node:crypto";
import { describe, expect, inject, test } from "vitest";
import { startTestJanus } from "./janus";
import { waitFor } from "./wait";

// Raw Janus requests are fine here: this checks the test harness, not the app's Janus client.
async function info(apiUrl: string): Promise<{ janus: string; version_string: string }> {
  const response = await fetch(`${apiUrl}/info`);
  return (await response.json()) as { janus: string; version_string: string };
}

async function admin(adminUrl: string, janus: string, adminSecret: string): Promise<{ janus: string }> {
  const response = await fetch(adminUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ janus, transaction: randomUUID(), admin_secret: adminSecret }),
  });
  return (await response.json()) as { janus: string };
}

describe("the run's Janus (janus-setup)", () => {
  const janus = inject("janus");

  test("answers info and its admin API with the run's secret", async () => {
    expect(janus.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/janus$/);
    expect(await info(janus.apiUrl)).toMatchObject({ janus: "server_info", version_string: "1.1.2" });
    expect(await admin(janus.adminUrl, "ping", janus.adminSecret)).toMatchObject({ janus: "pong" });
    // Janus answers ping whatever the secret; get_status is what checks it.
    expect(await admin(janus.adminUrl, "get_status", janus.adminSecret)).toMatchObject({ janus: "success" });
    expect(await admin(janus.adminUrl, "get_status", "wrong")).toMatchObject({ janus: "error" });
  });

  test("the app's config finds it through MEDIA_* in every worker", () => {
    expect(process.env.MEDIA_SERVERS).toBe(`${janus.id} ${janus.apiUrl} ${janus.adminUrl}`);
    expect(process.env.MEDIA_ADMIN_SECRET).toBe(janus.adminSecret);
    expect(process.env.MEDIA_ROOM_ADMIN_KEY).toBe(janus.roomAdminKey);
  });
});

describe("startTestJanus", () => {
  test("a killed Janus comes back; restart() and stop() do what they say", async () => {
    const janus = await startTestJanus();
    try {
      expect(janus.adminSecret).not.toBe(inject("janus").adminSecret);
      const first = janus.supervisor.pid;
      await janus.kill();
      await janus.waitUntilReady();
      expect(janus.supervisor.pid).not.toBe(first);
      expect(janus.supervisor.restarts).toBe(1);
      expect(await info(janus.apiUrl)).toMatchObject({ janus: "server_info" });

      await janus.restart();
      expect(await admin(janus.adminUrl, "get_status", janus.adminSecret)).toMatchObject({ janus: "success" });
    } finally {
      await janus.stop();
    }
    await waitFor(
      () =>
        info(janus.apiUrl).then(
          () => false,
          () => true,
        ),
      { what: "the stopped Janus to stop answering" },
    );
  });
});
