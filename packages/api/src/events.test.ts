import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import type { EventSubscription } from "./events";
import { createTestServices, dropEventBusConnection } from "./testing/services";

const { services, close } = createTestServices();
afterAll(close);

/** Reads a subscription in the background: what it received, and whether it has ended. */
function follow<T>(subscription: EventSubscription<T>) {
  const received: T[] = [];
  const state = { ended: false };
  void (async () => {
    for await (const event of subscription) received.push(event);
    state.ended = true;
  })();
  return { received, state };
}

describe("the event bus", () => {
  test("a subscriber that opens while another's SUBSCRIBE is in flight hears everything published after it returns", async () => {
    // Each round a channel nobody listens to yet: the first subscribe sends SUBSCRIBE, the second
    // comes while it is in flight and publishes at once when its own subscribe returns.
    for (let round = 0; round < 20; round++) {
      const channel = `race:${round}:${crypto.randomUUID()}`;
      const first = services.events.subscribe<number>(channel, undefined);
      const second = await services.events.subscribe<number>(channel, undefined);
      await services.events.publish(channel, round);
      const heard = follow(second);
      const other = follow(await first);
      await waitFor(() => heard.received.length === 1 && other.received.length === 1, {
        timeoutMs: 2_000,
        what: `round ${round}'s event on both subscriptions`,
      });
      second.close();
      (await first).close();
    }
  });

  test("losing the subscriber connection ends every subscription; new ones hear events again", async () => {
    const channel = `lost:${crypto.randomUUID()}`;
    const before = follow(await services.events.subscribe<string>(channel, undefined));
    const notices = follow(await services.events.subscribe<string>(`${channel}:other`, undefined));
    await services.events.publish(channel, "before");
    await waitFor(() => before.received.length === 1, { what: "the event before the drop" });

    expect(await dropEventBusConnection(services)).toBeGreaterThan(0);
    // Ended, not silently resubscribed: what was published meanwhile is lost, so owners start over.
    await waitFor(() => before.state.ended && notices.state.ended, { what: "every subscription to end" });
    expect(services.events.stats().subscribers).toBe(0);

    const after = follow(await services.events.subscribe<string>(channel, undefined));
    await services.events.publish(channel, "after");
    await waitFor(() => after.received.includes("after"), { what: "the event after the reconnect" });
    expect(before.received).toEqual(["before"]);
  });
});
