import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";
import type { RoomEvent } from "./room-events";
import { roomCounters } from "../metrics";
import { appendRoomEvent, ROOM_STREAM_MAX_LENGTH } from "./room-log";

const opens = async (start: "snapshot" | "resume") =>
  (await roomCounters.opened.get()).values.find((value) => value.labels.start === start)?.value ?? 0;

const { services, context, close } = createTestServices();
afterAll(close);

const tab = (n: number) => `room-tab-${n}-xxxxxxxx`;

interface Received {
  id: string;
  event: RoomEvent;
}

/** One tab's session.onRoom, read in the background until closed. */
async function openRoom(user: SessionUser, sessionId: string, lastEventId?: string) {
  const abort = new AbortController();
  const stream = await createCaller(context(user), { signal: abort.signal }).session.onRoom({ sessionId, lastEventId });
  const received: Received[] = [];
  let failure: unknown = null;
  void (async () => {
    for await (const [id, event] of stream as AsyncIterable<[string, RoomEvent]>) received.push({ id, event });
  })().catch((error: unknown) => (failure = error));
  const first = await waitFor(() => received[0] ?? failure, { what: "the stream's first event" });
  if (failure) throw failure as Error;
  return {
    first: first as Received,
    received,
    close: () => abort.abort(),
    lastId: () => received.at(-1)!.id,
    of: <T extends RoomEvent["type"]>(type: T) =>
      received
        .map((entry) => entry.event)
        .filter((event): event is Extract<RoomEvent, { type: T }> => event.type === type),
    chatIds: () => received.flatMap((entry) => (entry.event.type === "chat.posted" ? [entry.event.message.id] : [])),
  };
}

async function joined(count: number, sessionId: string) {
  const users = (await insertUsers(services, count)).map(asSessionUser);
  await Promise.all(users.map((user) => createCaller(context(user)).session.join({ sessionId, connectionId: tab(1) })));
  return users;
}

const send = (user: SessionUser, sessionId: string, body: string, clientMessageId: string = crypto.randomUUID()) =>
  createCaller(context(user)).session.sendMessage({ sessionId, clientMessageId, body });

describe("session.onRoom", () => {
  test("a snapshot first; chat reaches a tab only while its user is in the room, and stops after Leave", async () => {
    const { session } = await createSessionFixture(services);
    const [speaker] = await joined(1, session.id);
    const [onlooker] = (await insertUsers(services, 1)).map(asSessionUser);
    await enrollUsers(services, session.courseId, [onlooker!]);
    await send(speaker!, session.id, "before anyone watched");
    const room = await openRoom(onlooker!, session.id);
    expect(room.first.event).toMatchObject({ type: "snapshot", joined: false, interaction: null });
    expect(room.first.event).toMatchObject({ participants: { participantCount: 1 } });

    await send(speaker!, session.id, "not for onlookers");
    const onlookerCaller = createCaller(context(onlooker!));
    await onlookerCaller.session.join({ sessionId: session.id, connectionId: tab(2) });
    const interaction = await waitFor(() => room.of("interaction")[0], { what: "the interaction on joining" });
    expect(interaction.interaction.messages.map((message) => message.body)).toEqual([
      "before anyone watched",
      "not for onlookers",
    ]);
    expect(room.of("chat.posted")).toEqual([]);

    await send(speaker!, session.id, "for participants");
    await waitFor(() => room.of("chat.posted").length === 1, { what: "the message to the joined tab" });
    await onlookerCaller.session.leave({ sessionId: session.id, connectionId: tab(2), everywhere: true });
    await waitFor(() => room.of("participants").some((e) => e.events.some((p) => p.type === "left")), {
      what: "the leave",
    });
    await send(speaker!, session.id, "after leaving");
    // A later open event proves the stream went on past the message it did not deliver.
    await createCaller(context(speaker!)).session.join({ sessionId: session.id, connectionId: tab(3) });
    await waitFor(() => room.of("participants").length === 3, { what: "the speaker's second tab" });
    expect(room.of("chat.posted").map((event) => event.message.body)).toEqual(["for participants"]);
    room.close();
  });

  test("200 users × 5 messages at once: exactly 1,000 stored, and every tab receives all 1,000 in the same order", async () => {
    const { session } = await createSessionFixture(services);
    const users = await joined(200, session.id);
    const tabs = await Promise.all(users.slice(0, 3).map((user) => openRoom(user, session.id)));
    const results = await Promise.allSettled(
      users.flatMap((user) => [1, 2, 3, 4, 5].map((n) => send(user, session.id, `message ${n}`))),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await services.db.chatMessage.count({ where: { sessionId: session.id } })).toBe(1_000);
    for (const room of tabs) {
      await waitFor(() => room.chatIds().length >= 1_000, { timeoutMs: 20_000, what: "1,000 messages on every tab" });
    }
    const order = tabs[0]!.chatIds();
    expect(new Set(order).size).toBe(1_000);
    for (const room of tabs) expect(room.chatIds()).toEqual(order);
    for (const room of tabs) room.close();
  });

  test("a tab that drops its stream while 100 messages are sent gets exactly those 100 on resume, in order", async () => {
    const { session } = await createSessionFixture(services);
    const users = await joined(21, session.id);
    const first = await openRoom(users[0]!, session.id);
    await send(users[0]!, session.id, "seen before the drop");
    await waitFor(() => first.chatIds().length === 1, { what: "the first message" });
    const lastId = first.lastId();
    first.close();

    const sent = await Promise.all(
      users.slice(1).flatMap((user) => [1, 2, 3, 4, 5].map((n) => send(user, session.id, `while away ${n}`))),
    );
    const resumesBefore = await opens("resume");
    const resumed = await openRoom(users[0]!, session.id, lastId);
    expect(await opens("resume")).toBe(resumesBefore + 1);
    expect(resumed.first.event).toEqual({ type: "resumed", joined: true });
    await waitFor(() => resumed.chatIds().length >= 100, { what: "the 100 missed messages" });
    // One more message, sent after the resume: it comes right after the 100, nothing in between.
    const after = await send(users[0]!, session.id, "after the resume");
    await waitFor(() => resumed.chatIds().includes(after.id), { what: "the message after the resume" });
    const ids = resumed.chatIds();
    expect(ids).toHaveLength(101);
    expect(new Set(ids.slice(0, 100))).toEqual(new Set(sent.map((message) => message.id)));
    expect(ids[100]).toBe(after.id);
    // In stream order: the ids the tab was given increase.
    const streamIds = resumed.received.slice(1).map((entry) => entry.id.split("-").map(Number));
    for (let i = 1; i < streamIds.length; i++) {
      const [ms, seq] = streamIds[i]!;
      const [prevMs, prevSeq] = streamIds[i - 1]!;
      expect(ms! > prevMs! || (ms === prevMs && seq! > prevSeq!)).toBe(true);
    }
    resumed.close();
  });

  test("an id the stream no longer covers (trimmed, malformed, unknown) gets a fresh snapshot", async () => {
    const { session } = await createSessionFixture(services);
    const [user] = await joined(1, session.id);
    const room = await openRoom(user!, session.id);
    await send(user!, session.id, "first");
    await waitFor(() => room.chatIds().length === 1, { what: "the message" });
    const old = room.lastId();
    room.close();
    const pipeline = Array.from({ length: ROOM_STREAM_MAX_LENGTH + 300 }, () =>
      appendRoomEvent(services, session.id, { type: "chat.deleted", messageId: crypto.randomUUID() }),
    );
    await Promise.all(pipeline);
    for (const lastEventId of [old, "not-an-id", "99999999999999-0"]) {
      const again = await openRoom(user!, session.id, lastEventId);
      expect(again.first.event).toMatchObject({ type: "snapshot", joined: true });
      again.close();
    }
  });

  test("a retried send with the same client message id stores one message and each tab keeps one copy", async () => {
    const { session } = await createSessionFixture(services);
    const [user] = await joined(1, session.id);
    const retries = await Promise.all([1, 2, 3].map(() => send(user!, session.id, "once", "client-id-0001")));
    expect(new Set(retries.map((message) => message.id)).size).toBe(1);
    expect(await services.db.chatMessage.count({ where: { sessionId: session.id } })).toBe(1);
  });
});
