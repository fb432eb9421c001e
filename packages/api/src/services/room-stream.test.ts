import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { createTestServices, dropEventBusConnection, insertUsers } from "../testing/services";
import type { RoomEvent } from "./room-events";
import { roomCounters } from "../metrics";
import type { ParticipantEvent } from "./participant-events";
import { publishParticipantEvent } from "./participants";
import { appendRoomEvent, ROOM_STREAM_MAX_LENGTH } from "./room-log";
import { ROOM_SNAPSHOT_CACHE_MS } from "./room-stream";

const opens = async (start: "snapshot" | "resume") =>
  (await roomCounters.opened.get()).values.find((value) => value.labels.start === start)?.value ?? 0;

const { services, context, close } = createTestServices();
// A second web instance: its own Redis connections and event bus, the same database and Redis.
const other = createTestServices();
// A third, whose clock only moves when a test moves it.
let frozenNow = Date.now();
const frozen = createTestServices({}, { clock: () => new Date(frozenNow) });
// A fourth, for which a room of 3 is large.
const small = createTestServices({ ROOM_LARGE_PARTICIPANTS: "3" });
afterAll(async () => {
  await close();
  await other.close();
  await frozen.close();
  await small.close();
});

const tab = (n: number) => `room-tab-${n}-xxxxxxxx`;

interface Received {
  id: string;
  event: RoomEvent;
}

type Instance = Pick<ReturnType<typeof createTestServices>, "context">;

/** One tab's session.onRoom (on `instance`, this file's first web instance by default), read in the background until closed. */
async function openRoom(user: SessionUser, sessionId: string, lastEventId?: string, instance: Instance = { context }) {
  const abort = new AbortController();
  const stream = await createCaller(instance.context(user), { signal: abort.signal }).session.onRoom({
    sessionId,
    lastEventId,
  });
  const received: Received[] = [];
  let failure: unknown = null;
  const state = { ended: false };
  void (async () => {
    for await (const [id, event] of stream as AsyncIterable<[string, RoomEvent]>) received.push({ id, event });
    state.ended = true;
  })().catch((error: unknown) => (failure = error));
  const first = await waitFor(() => received[0] ?? failure, { what: "the stream's first event" });
  if (failure) throw failure as Error;
  return {
    first: first as Received,
    received,
    /** The server ended the stream (the tab would resume from `lastId()`). */
    ended: () => state.ended,
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

const send = (
  user: SessionUser,
  sessionId: string,
  body: string,
  clientMessageId: string = crypto.randomUUID(),
  instance: Instance = { context },
) => createCaller(instance.context(user)).session.sendMessage({ sessionId, clientMessageId, body });

/** The chat messages stored in the session's room stream, in stream order. */
async function streamChatIds(sessionId: string): Promise<string[]> {
  const entries = await services.redis.xrange(services.keys.roomStream(sessionId), "-", "+");
  return entries.flatMap(([, fields]) => {
    const event = JSON.parse(fields[1]!) as RoomEvent;
    return event.type === "chat.posted" ? [event.message.id] : [];
  });
}

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

  test("200 users × 5 messages at once over two instances: exactly 1,000 stored, every tab on either receives all 1,000 in the stream's order", async () => {
    const { session } = await createSessionFixture(services);
    const users = await joined(200, session.id);
    // Two tabs on each web instance (each instance has its own event bus and subscriber connection).
    const tabs = await Promise.all(
      users.slice(0, 4).map((user, i) => openRoom(user, session.id, undefined, i % 2 ? other : { context })),
    );
    // Sent through both instances: every other user's messages go through the second.
    const results = await Promise.allSettled(
      users.flatMap((user, i) =>
        [1, 2, 3, 4, 5].map((n) => send(user, session.id, `message ${n}`, undefined, i % 2 ? other : { context })),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await services.db.chatMessage.count({ where: { sessionId: session.id } })).toBe(1_000);
    for (const room of tabs) {
      await waitFor(() => room.chatIds().length >= 1_000, { timeoutMs: 20_000, what: "1,000 messages on every tab" });
    }
    const order = await streamChatIds(session.id);
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

    // Half sent while the tab is away; the other half while it resumes, so some land between its
    // subscription and its read of the stream (both delivered: they must come once), some after.
    const away = await Promise.all(
      users.slice(1, 11).flatMap((user) => [1, 2, 3, 4, 5].map((n) => send(user, session.id, `while away ${n}`))),
    );
    const resumesBefore = await opens("resume");
    const resuming = users
      .slice(11)
      .flatMap((user) => [1, 2, 3, 4, 5].map((n) => send(user, session.id, `while resuming ${n}`)));
    const resumed = await openRoom(users[0]!, session.id, lastId);
    const duringResume = await Promise.all(resuming);
    expect(await opens("resume")).toBe(resumesBefore + 1);
    expect(resumed.first.event).toEqual({ type: "resumed", joined: true, seq: expect.any(Number) });
    await waitFor(() => resumed.chatIds().length >= 100, { what: "the 100 messages" });
    // One more message, sent after the resume: it comes right after the 100, nothing in between.
    const after = await send(users[0]!, session.id, "after the resume");
    await waitFor(() => resumed.chatIds().includes(after.id), { what: "the message after the resume" });
    const ids = resumed.chatIds();
    expect(ids).toHaveLength(101);
    expect(new Set(ids.slice(0, 100))).toEqual(new Set([...away, ...duringResume].map((message) => message.id)));
    expect(ids).toEqual((await streamChatIds(session.id)).slice(1));
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

  test("a retried send with the same client message id stores one message and reaches a tab once", async () => {
    const { session } = await createSessionFixture(services);
    const [user, reader] = await joined(2, session.id);
    const room = await openRoom(reader!, session.id);
    const retries = await Promise.all([1, 2, 3].map(() => send(user!, session.id, "once", "client-id-0001")));
    retries.push(await send(user!, session.id, "once", "client-id-0001"));
    expect(new Set(retries.map((message) => message.id)).size).toBe(1);
    expect(await services.db.chatMessage.count({ where: { sessionId: session.id } })).toBe(1);
    // A later message proves the tab has everything sent before it.
    const later = await send(user!, session.id, "later");
    await waitFor(() => room.chatIds().includes(later.id), { what: "the later message" });
    expect(room.chatIds()).toEqual([retries[0]!.id, later.id]);
    const stored = await services.redis.xrange(services.keys.roomStream(session.id), "-", "+");
    expect(stored.filter(([, fields]) => fields[1]!.includes('"chat.posted"'))).toHaveLength(2);
    room.close();
  });

  test("a tab resuming from before a message was deleted gets the deletion, never the text", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [user, speaker] = await joined(2, session.id);
    const room = await openRoom(user!, session.id);
    const lastId = room.lastId();
    room.close();
    const regretted = await send(speaker!, session.id, "my password is hunter2");
    const kept = await send(speaker!, session.id, "sorry, wrong window");
    await createCaller(context(instructor)).session.deleteMessage({
      sessionId: session.id,
      messageId: regretted.id,
    });
    const resumed = await openRoom(user!, session.id, lastId);
    await waitFor(() => resumed.of("chat.deleted").length === 1, { what: "the deletion" });
    expect(resumed.chatIds()).toEqual([kept.id]);
    expect(JSON.stringify(resumed.received)).not.toContain("hunter2");
    resumed.close();
  });

  test("when the event bus loses its connection the stream ends, and resuming brings what was sent meanwhile", async () => {
    const { session } = await createSessionFixture(services);
    const [user, speaker] = await joined(2, session.id);
    const room = await openRoom(user!, session.id);
    await send(speaker!, session.id, "before the drop");
    await waitFor(() => room.chatIds().length === 1, { what: "the first message" });

    expect(await dropEventBusConnection(services)).toBeGreaterThan(0);
    const meanwhile = [];
    for (const n of [1, 2, 3]) meanwhile.push(await send(speaker!, session.id, `during the drop ${n}`));
    // The stream may have heard none of those: it ends, and the tab resumes from its last id.
    await waitFor(() => room.ended(), { what: "the stream to end" });
    const resumed = await openRoom(user!, session.id, room.lastId());
    expect(resumed.first.event).toEqual({ type: "resumed", joined: true, seq: expect.any(Number) });
    const after = await send(speaker!, session.id, "after the drop");
    await waitFor(() => resumed.chatIds().includes(after.id), { what: "the message after the drop" });
    expect([...room.chatIds(), ...resumed.chatIds()]).toEqual([
      room.chatIds()[0],
      ...meanwhile.map((message) => message.id),
      after.id,
    ]);
    resumed.close();
  });
  test("participant events numbered on two instances at once: seq order is stream order, on both channels", async () => {
    // Calls started over a few event-loop turns on two instances: with numbering and appending as
    // two steps, most rounds stored some event before one numbered earlier.
    for (let round = 0; round < 5; round++) {
      const { session } = await createSessionFixture(services);
      const heard: number[] = [];
      const channel = await services.events.subscribe<ParticipantEvent>(
        `session:${session.id}:participants`,
        undefined,
      );
      void (async () => {
        for await (const event of channel) heard.push(event.seq);
      })();
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          for (let turn = 0; turn < i % 7; turn++) await new Promise((resolve) => setImmediate(resolve));
          await publishParticipantEvent(i % 2 ? services : other.services, session.id, {
            type: "status",
            status: "LIVE",
            participantCount: i,
          });
        }),
      );
      const entries = await services.redis.xrange(services.keys.roomStream(session.id), "-", "+");
      const stored = entries.flatMap(([, fields]) =>
        (JSON.parse(fields[1]!) as { events: ParticipantEvent[] }).events.map((event) => event.seq),
      );
      const expected = Array.from({ length: 200 }, (_, i) => i + 1);
      expect(stored).toEqual(expected);
      await waitFor(() => heard.length === 200, { what: "every event on the participant channel" });
      expect(heard).toEqual(expected);
      channel.close();
    }
  });

  test("a copy of the viewer's own older leave (seq already counted) does not stop their chat", async () => {
    const { session } = await createSessionFixture(services);
    const [user, speaker] = await joined(2, session.id);
    const room = await openRoom(user!, session.id);
    const counted = (room.first.event as Extract<RoomEvent, { type: "snapshot" }>).participants.seq;
    // As a leave numbered before the snapshot but stored after it would arrive.
    await appendRoomEvent(services, session.id, {
      type: "participants",
      events: [{ type: "left", userIds: [user!.id], reason: "TIMEOUT", participantCount: 1, seq: counted }],
    });
    const message = await send(speaker!, session.id, "still with us?");
    await waitFor(() => room.chatIds().includes(message.id), { what: "the message after the old leave" });
    room.close();
  });
});

test("fresh streams within ROOM_SNAPSHOT_CACHE_MS share one snapshot, and each still gets every event after it", async () => {
  const { session, instructor, course } = await createSessionFixture(services);
  const [student] = await insertUsers(services, 1);
  await enrollUsers(services, course.id, [student!]);
  const before = await openRoom(instructor, session.id, undefined, frozen);
  expect(before.first.event).toMatchObject({ type: "snapshot", participants: { participantCount: 0 } });
  await createCaller(frozen.context(asSessionUser(student!))).session.join({
    sessionId: session.id,
    connectionId: tab(1),
  });

  // Within the second: the same snapshot (same id, nobody in it), then the join, read from the stream.
  const shared = await openRoom(instructor, session.id, undefined, frozen);
  expect(shared.first).toEqual(before.first);
  await waitFor(() => shared.of("participants").length === 1, { what: "the join after the shared snapshot" });
  expect(shared.of("participants")[0]!.events).toMatchObject([
    { type: "joined", participant: { userId: student!.id } },
  ]);

  // A second later: a snapshot of its own, with the student in it.
  frozenNow += ROOM_SNAPSHOT_CACHE_MS;
  const later = await openRoom(instructor, session.id, undefined, frozen);
  expect(later.first.event).toMatchObject({ type: "snapshot", participants: { participantCount: 1 } });
  expect(later.first.id).toBe(shared.received[1]!.id);
  for (const stream of [before, shared, later]) stream.close();
});

test("a large room's snapshot lists what a list shows, counts everyone, and knows the viewer is in", async () => {
  const { session, course } = await createSessionFixture(services);
  const users = await insertUsers(services, 5);
  await enrollUsers(services, course.id, users);
  for (const [i, user] of users.entries()) {
    await createCaller(small.context(asSessionUser(user))).session.join({
      sessionId: session.id,
      connectionId: tab(i),
    });
  }
  const last = asSessionUser(users[4]!);
  const stream = await openRoom(last, session.id, undefined, small);
  const snapshot = stream.first.event as Extract<RoomEvent, { type: "snapshot" }>;
  expect(snapshot.participants.participantCount).toBe(5);
  expect(snapshot.participants.participants.map((participant) => participant.userId)).toEqual(
    users.slice(0, 3).map((user) => user.id),
  );
  // The viewer joined last (not listed) and is in the room: the chat comes with the snapshot.
  expect(snapshot.joined).toBe(true);
  expect(snapshot.interaction).not.toBeNull();
  stream.close();
});
