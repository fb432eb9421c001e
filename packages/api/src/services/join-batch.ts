/**
 * Group commit for work that arrives in storms (docs/decisions/012). Per owner (a services
 * container's database client) and per key (a session), at most one batch is in flight. A call that
 * finds nothing in flight starts a batch of one at once — a lone call never waits for a timer or for
 * company. Calls that arrive while a batch is in flight queue; when the batch releases its slot, the
 * queued calls (at most `maxBatch`, the rest wait for the batch after) go together as the next one.
 * The batch size follows the load by itself: the longer a batch takes, the more the next one takes.
 *
 * The queue lives in this process's memory: several containers in one process (tests simulate
 * instances that way) and several processes each batch on their own; the database still serializes
 * what must be serialized between them.
 */

/** One caller's result within a batch: its own answer, or its own error. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs one batch. `release()` lets the next batch of the same key start (the transaction is over;
 * what is left is answering); it is called for you when the returned promise settles. Resolves to
 * one outcome per item, in order; a rejection rejects every caller of the batch with that error.
 */
export type RunBatch<T, R> = (key: string, items: T[], release: () => void) => Promise<Outcome<R>[]>;

interface Waiter<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommit<T, R> {
  /** Runs `item` in the next batch of (owner, key) — at once when none is in flight. */
  submit(owner: object, key: string, item: T): Promise<R>;
  /** Keys with a batch in flight for this owner (for tests and diagnostics). */
  inFlight(owner: object): number;
}

export function groupCommit<T, R>(options: { maxBatch: number; run: RunBatch<T, R> }): GroupCommit<T, R> {
  // owner → key → callers waiting for the batch after the one in flight. A key is present exactly
  // while a batch of it is in flight.
  const lanesByOwner = new WeakMap<object, Map<string, Waiter<T, R>[]>>();

  const start = (lanes: Map<string, Waiter<T, R>[]>, key: string, batch: Waiter<T, R>[]) => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const waiting = lanes.get(key)!;
      if (waiting.length === 0) {
        lanes.delete(key);
        return;
      }
      const next = waiting.length <= options.maxBatch ? waiting.splice(0) : waiting.splice(0, options.maxBatch);
      start(lanes, key, next);
    };
    let running: Promise<Outcome<R>[]>;
    try {
      running = options.run(
        key,
        batch.map((waiter) => waiter.item),
        release,
      );
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (outcomes) => {
        release();
        batch.forEach((waiter, i) => {
          const outcome = outcomes[i];
          if (!outcome) waiter.reject(new Error("join batch: no outcome for a caller"));
          else if (outcome.ok) waiter.resolve(outcome.value);
          else waiter.reject(outcome.error);
        });
      },
      (error: unknown) => {
        release();
        for (const waiter of batch) waiter.reject(error);
      },
    );
  };

  return {
    submit(owner, key, item) {
      let lanes = lanesByOwner.get(owner);
      if (!lanes) {
        lanes = new Map();
        lanesByOwner.set(owner, lanes);
      }
      const lane = lanes;
      return new Promise<R>((resolve, reject) => {
        const waiter = { item, resolve, reject };
        const waiting = lane.get(key);
        if (waiting) {
          waiting.push(waiter);
          return;
        }
        lane.set(key, []);
        start(lane, key, [waiter]);
      });
    },
    inFlight(owner) {
      return lanesByOwner.get(owner)?.size ?? 0;
    },
  };
}
