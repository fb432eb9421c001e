import { afterAll, expect, test } from "vitest";
import { metricsRegistry } from "../metrics";
import { createCaller } from "../root";
import { TELEMETRY_REPORTS_PER_MINUTE } from "../services/telemetry";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { createTestServices } from "../testing/services";

const { context, close } = createTestServices();
afterAll(close);

test("reports show on /metrics; a client sending too many is limited; malformed reports are 400s", async () => {
  const caller = createCaller(context(null, { ip: "127.0.6.50" }));
  await caller.telemetry.report({
    events: [{ type: "connection_succeeded", durationMs: 420 }, { type: "reconnect" }, { type: "refresh_failed" }],
  });
  const text = await metricsRegistry.metrics();
  expect(text).toMatch(/livehall_client_events_total\{type="reconnect"\} [1-9]/);
  expect(text).toMatch(/livehall_client_join_seconds_count [1-9]/);

  for (let i = 1; i < TELEMETRY_REPORTS_PER_MINUTE; i++)
    await caller.telemetry.report({ events: [{ type: "reconnect" }] });
  await expect(caller.telemetry.report({ events: [{ type: "reconnect" }] })).rejects.toMatchObject({
    code: "TOO_MANY_REQUESTS",
  });
  // Another client is not affected.
  await createCaller(context(null, { ip: "127.0.6.51" })).telemetry.report({ events: [{ type: "reconnect" }] });

  await assertRejectsMalformedInput({
    path: "telemetry.report",
    type: "mutation",
    valid: { events: [{ type: "reconnect" }] },
    context: () => context(null, { ip: "127.0.6.52" }),
    numRuns: 10,
  });
});
