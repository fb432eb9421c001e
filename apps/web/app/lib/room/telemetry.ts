import type { TelemetryType } from "./connection";

export interface TelemetryEvent {
  type: TelemetryType;
  durationMs?: number;
}

export interface TelemetryBatcherOptions {
  send: (events: TelemetryEvent[]) => Promise<unknown>;
  /** Sends what is queued while the page goes away; returns false when it could not. */
  sendOnExit?: (events: TelemetryEvent[]) => boolean;
  /** Flush once this many events are queued (the API takes 20 per report). */
  maxBatch?: number;
  /** …or this long after the first queued event. */
  flushAfterMs?: number;
  /** Events beyond this are dropped while reports fail (best effort, bounded memory). */
  maxQueued?: number;
}

/**
 * Connection figures for `telemetry.report`, in small batches: best effort, never awaited by the room,
 * never retried more than the queue holds. One per tab.
 */
export class TelemetryBatcher {
  private queue: TelemetryEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly maxBatch: number;
  private readonly flushAfterMs: number;
  private readonly maxQueued: number;

  constructor(private readonly options: TelemetryBatcherOptions) {
    this.maxBatch = Math.min(20, options.maxBatch ?? 10);
    this.flushAfterMs = options.flushAfterMs ?? 5_000;
    this.maxQueued = options.maxQueued ?? 60;
  }

  get queued(): readonly TelemetryEvent[] {
    return this.queue;
  }

  record(type: TelemetryType, durationMs?: number): void {
    if (this.queue.length >= this.maxQueued) return;
    this.queue.push(
      durationMs === undefined
        ? { type }
        : { type, durationMs: Math.min(600_000, Math.max(0, Math.round(durationMs))) },
    );
    if (this.queue.length >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushAfterMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.options.send(batch).catch(() => {
      // Dropped: telemetry must not pile up retries on a struggling server.
    });
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), this.flushAfterMs);
  }

  /** pagehide: hand the rest to the beacon. */
  flushOnExit(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      if (!this.options.sendOnExit?.(batch)) void this.options.send(batch).catch(() => undefined);
    }
  }
}
