import { describe, expect, test } from "vitest";
import { groupCommit, type Outcome } from "./join-batch";

/** A batch runner that records each batch and finishes when the test says so. */
function controlledRunner() {
  const batches: {
    key: string;
    items: number[];
    finish: (outcomes?: Outcome<string>[] | Error) => void;
    release: () => void;
  }[] = [];
  const queue = groupCommit<number, string>({
    maxBatch: 3,
    run: (key, items, release) =>
      new Promise((resolve, reject) => {
        batches.push({
          key,
          items,
          release,
          finish: (outcomes) =>
            outcomes instanceof Error
              ? reject(outcomes)
              : resolve(outcomes ?? items.map((item) => ({ ok: true, value: `${key}:${item}` }))),
        });
      }),
  });
  return { queue, batches };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("group commit queue", () => {
  test("a lone call starts its batch at once, synchronously, with no timer", () => {
    const { queue, batches } = controlledRunner();
    const owner = {};
    void queue.submit(owner, "s", 1);
    expect(batches.map((batch) => batch.items)).toEqual([[1]]);
    expect(queue.inFlight(owner)).toBe(1);
  });

  test("calls arriving while a batch is in flight go together in the next one, at most maxBatch, in order", async () => {
    const { queue, batches } = controlledRunner();
    const owner = {};
    const answers = [1, 2, 3, 4, 5, 6, 7].map((item) => queue.submit(owner, "s", item));
    expect(batches.map((batch) => batch.items)).toEqual([[1]]);
    batches[0]!.finish();
    await settle();
    expect(batches.map((batch) => batch.items)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.finish();
    await settle();
    batches[2]!.finish();
    await settle();
    expect(batches.map((batch) => batch.items)).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
    expect(await Promise.all(answers)).toEqual(["s:1", "s:2", "s:3", "s:4", "s:5", "s:6", "s:7"]);
    expect(queue.inFlight(owner)).toBe(0);
    // Idle again: the next call runs alone, at once.
    void queue.submit(owner, "s", 8);
    expect(batches.at(-1)!.items).toEqual([8]);
  });

  test("release() lets the next batch start before the current one has answered", async () => {
    const { queue, batches } = controlledRunner();
    const owner = {};
    void queue.submit(owner, "s", 1);
    void queue.submit(owner, "s", 2);
    batches[0]!.release();
    expect(batches.map((batch) => batch.items)).toEqual([[1], [2]]);
    batches[0]!.finish();
    batches[1]!.finish();
    await settle();
    expect(batches).toHaveLength(2);
  });

  test("keys and owners have their own lanes: no batch mixes sessions or services containers", () => {
    const { queue, batches } = controlledRunner();
    const first = {};
    const second = {};
    void queue.submit(first, "a", 1);
    void queue.submit(first, "b", 2);
    void queue.submit(second, "a", 3);
    expect(batches.map((batch) => batch.items)).toEqual([[1], [2], [3]]);
    expect(queue.inFlight(first)).toBe(2);
    expect(queue.inFlight(second)).toBe(1);
  });

  test("a failed batch rejects each of its callers with that error; per-caller outcomes reach only their caller; the lane goes on", async () => {
    const { queue, batches } = controlledRunner();
    const owner = {};
    const lone = queue.submit(owner, "s", 1);
    const together = [2, 3, 4].map((item) =>
      queue.submit(owner, "s", item).then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      ),
    );
    const failure = new Error("batch failed");
    batches[0]!.finish(failure);
    await expect(lone).rejects.toBe(failure);
    await settle();
    batches[1]!.finish([
      { ok: true, value: "two" },
      { ok: false, error: new Error("three refused") },
      { ok: true, value: "four" },
    ]);
    expect(await Promise.all(together)).toEqual([{ value: "two" }, { error: "three refused" }, { value: "four" }]);
    expect(queue.inFlight(owner)).toBe(0);
  });

  test("a runner that throws synchronously rejects its callers instead of wedging the lane", async () => {
    const queue = groupCommit<number, number>({
      maxBatch: 10,
      run: (_key, items) => {
        if (items.includes(0)) throw new Error("sync throw");
        return Promise.resolve(items.map((item) => ({ ok: true as const, value: item * 2 })));
      },
    });
    const owner = {};
    await expect(queue.submit(owner, "s", 0)).rejects.toThrow("sync throw");
    expect(await queue.submit(owner, "s", 21)).toBe(42);
  });
});
