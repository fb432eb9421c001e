import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { TelemetryBatcher, type TelemetryEvent } from "./telemetry";

let sent: TelemetryEvent[][];
let beaconed: TelemetryEvent[][];

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  beaconed = [];
});
afterEach(() => vi.useRealTimers());

const batcher = (send: (events: TelemetryEvent[]) => Promise<unknown> = async (events) => void sent.push(events)) =>
  new TelemetryBatcher({
    send,
    sendOnExit: (events) => (beaconed.push(events), true),
    maxBatch: 3,
    flushAfterMs: 5_000,
  });

describe("telemetry batches", () => {
  test("a batch goes out when full or after the delay, whichever is first", async () => {
    const telemetry = batcher();
    telemetry.record("connection_succeeded", 1234.4);
    telemetry.record("reconnect", 10);
    expect(sent).toEqual([]);
    telemetry.record("connection_failed");
    expect(sent).toEqual([
      [
        { type: "connection_succeeded", durationMs: 1234 },
        { type: "reconnect", durationMs: 10 },
        { type: "connection_failed" },
      ],
    ]);
    telemetry.record("refresh_failed");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent[1]).toEqual([{ type: "refresh_failed" }]);
  });

  test("failures are dropped, never thrown; the queue is bounded", async () => {
    const telemetry = new TelemetryBatcher({
      send: () => Promise.reject(new Error("offline")),
      maxBatch: 20,
      maxQueued: 5,
    });
    for (let i = 0; i < 10; i++) telemetry.record("connection_failed");
    expect(telemetry.queued).toHaveLength(5);
    telemetry.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(telemetry.queued).toHaveLength(0);
  });

  test("pagehide hands the rest to the beacon", () => {
    const telemetry = batcher();
    telemetry.record("signed_out");
    telemetry.flushOnExit();
    expect(beaconed).toEqual([[{ type: "signed_out" }]]);
    expect(sent).toEqual([]);
  });
});
