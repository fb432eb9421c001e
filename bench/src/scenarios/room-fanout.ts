import type { RoomEvent } from "@livehall/api";
import { createSessionFixture, insertUsers } from "@livehall/api/testing";
import { accessTokenFor, clientFor } from "../lib/api";
import { startChild } from "../lib/children";
import { isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { round, summarize } from "../lib/stats";
import { SERVER_ENTRIES } from "./heartbeat";

export interface RoomFanoutOptions {
  subscribers: number;
  messages: number;
  joins: number;
  warmup: number;
}

const EVENT_TIMEOUT_MS = 10_000;
/** Streams opened at once while setting up (each reads the room's snapshot). */
const OPEN_AT_ONCE = 50;

/**
 * One session's room stream (session.onRoom, docs/decisions/018) with `subscribers` tabs, half on
 * web instance A and half on B, every one of them in the room. Chat messages are sent one after
 * another through A; each figure is the time from sending a message until one subscriber's tab has
 * it, over every (message, subscriber). The baseline, in the same run and over the same tabs, is the
 * participant-event fan-out: a new participant joins through A, until each tab has the event.
 */
export async function roomFanoutScenario(options: RoomFanoutOptions, log: (line: string) => void) {
  const iso = await isolated();
  const env = { ...iso.env, MAX_STREAMS_PER_USER: "5" };
  const [a, b] = await Promise.all([
    startChild({ name: "web A", entry: SERVER_ENTRIES.web, env }),
    startChild({ name: "web B", entry: SERVER_ENTRIES.web, env }),
  ]);
  const subscriptions: { unsubscribe(): void }[] = [];
  try {
    const { services } = iso;
    const { session } = await createSessionFixture(services);
    const sessionId = session.id;
    const rounds = options.warmup + Math.max(options.messages, options.joins);
    const users = await insertUsers(services, options.subscribers + rounds * 2, { emailPrefix: "bench-room" });
    const subscribers = users.slice(0, options.subscribers);
    const senders = users.slice(options.subscribers, options.subscribers + rounds);
    const joiners = users.slice(options.subscribers + rounds);

    // Everyone who reads chat is in the room (joins are not measured here).
    const clients = await Promise.all(
      [...subscribers, ...senders].map(async (user) => ({
        user,
        api: clientFor(a.url, await accessTokenFor(services, user)),
      })),
    );
    for (let i = 0; i < clients.length; i += 100) {
      await Promise.all(
        clients
          .slice(i, i + 100)
          .map(({ api, user }) => api.session.join.mutate({ sessionId, connectionId: `bench-room-${user.id}` })),
      );
    }

    // Arrival times per key (a message id or a joiner's id), one slot per subscriber. Recorded for any
    // key, because a tab may have the event before the sender has its answer (and so the key).
    const seen = new Map<string, { at: number[]; count: number; complete?: () => void }>();
    const entryOf = (key: string) => {
      let entry = seen.get(key);
      if (!entry) seen.set(key, (entry = { at: new Array<number>(subscribers.length), count: 0 }));
      return entry;
    };
    const arrived = (key: string, index: number) => {
      const entry = entryOf(key);
      if (entry.at[index] !== undefined) return;
      entry.at[index] = performance.now();
      if (++entry.count === subscribers.length) entry.complete?.();
    };
    let ready = 0;
    for (let i = 0; i < subscribers.length; i += OPEN_AT_ONCE) {
      await Promise.all(
        subscribers.slice(i, i + OPEN_AT_ONCE).map(async (user, offset) => {
          const index = i + offset;
          const server = index % 2 === 0 ? a : b;
          const stream = clientFor(server.url, await accessTokenFor(services, user), { streams: true });
          await new Promise<void>((resolve, reject) => {
            subscriptions.push(
              stream.session.onRoom.subscribe(
                { sessionId },
                {
                  onData: (envelope) => {
                    const event = (envelope as { data: RoomEvent }).data;
                    if (event.type === "snapshot") {
                      ready++;
                      resolve();
                    } else if (event.type === "chat.posted") arrived(event.message.id, index);
                    else if (event.type === "participants") {
                      for (const change of event.events)
                        if (change.type === "joined") arrived(change.participant.userId, index);
                    }
                  },
                  onError: (error) => reject(error),
                },
              ),
            );
          });
        }),
      );
    }
    log(`  ${ready} room streams open (${Math.ceil(ready / 2)} on A, ${Math.floor(ready / 2)} on B)`);

    /** Runs `send` and waits until every subscriber has its key: the per-subscriber delays, and how many never came. */
    const fanOut = async (send: () => Promise<string>) => {
      const t0 = performance.now();
      const entry = entryOf(await send());
      if (entry.count < subscribers.length) {
        await Promise.race([
          new Promise<void>((resolve) => (entry.complete = resolve)),
          new Promise((resolve) => setTimeout(resolve, EVENT_TIMEOUT_MS)),
        ]);
      }
      const delays = entry.at.filter((at) => at !== undefined).map((at) => at - t0);
      return { delays, missed: subscribers.length - delays.length };
    };

    const chatMs: number[] = [];
    const joinMs: number[] = [];
    let chatMissed = 0;
    let joinMissed = 0;
    for (let i = 0; i < rounds; i++) {
      const measured = i >= options.warmup;
      if (i < options.warmup + options.joins) {
        const joiner = joiners[i]!;
        const api = clientFor(a.url, await accessTokenFor(services, joiner));
        const { delays, missed } = await fanOut(async () => {
          await api.session.join.mutate({ sessionId, connectionId: `bench-room-joiner-${i}` });
          return joiner.id;
        });
        if (measured) {
          joinMs.push(...delays);
          joinMissed += missed;
        }
      }
      if (i < options.warmup + options.messages) {
        const sender = clients[subscribers.length + i]!;
        const { delays, missed } = await fanOut(
          async () =>
            (
              await sender.api.session.sendMessage.mutate({
                sessionId,
                clientMessageId: `bench-room-message-${i}`,
                body: `bench message ${i}`,
              })
            ).id,
        );
        if (measured) {
          chatMs.push(...delays);
          chatMissed += missed;
        }
      }
    }
    const chat = summarize(chatMs);
    const join = summarize(joinMs);
    const ratio = join.p99 > 0 ? round(chat.p99 / join.p99) : null;
    log(
      `  chat: ${options.messages} messages × ${subscribers.length} tabs: p50 ${chat.p50} ms  p99 ${chat.p99} ms  missed ${chatMissed}`,
    );
    log(
      `  participants (baseline): ${options.joins} joins × ${subscribers.length} tabs: p50 ${join.p50} ms  p99 ${join.p99} ms  missed ${joinMissed}`,
    );
    const scenario = `7 room stream fan-out (${subscribers.length} tabs on A and B)`;
    const rows: Row[] = [
      {
        scenario,
        metric: "chat message sent on A → on every tab, ms",
        median: chat.p50,
        p99: chat.p99,
        baseline: join.p99,
        ratio,
        target: "p99 ≤ 2× the participant fan-out's, none missed",
        pass: ratio !== null && ratio <= 2 && chatMissed === 0,
      },
      {
        scenario,
        metric: "baseline: join on A → participant event on every tab, ms",
        median: join.p50,
        p99: join.p99,
        baseline: null,
        ratio: null,
        target: "none missed",
        pass: joinMissed === 0,
      },
    ];
    return { raw: { options, chat, join, chatMissed, joinMissed }, rows };
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
    await Promise.all([a.stop(), b.stop()]);
    await iso.close();
  }
}
