import net from "node:net";
import { randomUUID } from "node:crypto";
import type { ParticipantEvent, RoomEvent } from "@livehall/api";
import { REACTIONS } from "@livehall/api/limits";
import {
  appendRoomEvent,
  compareIds,
  createSessionFixture,
  SSE_PING_INTERVAL_MS,
  dropEventBusConnection,
  enrollUsers,
  insertUsers,
  signAccessToken,
} from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { applyParticipantEvent, EMPTY_PARTICIPANTS, sortedParticipants } from "../app/lib/room/participants";
import { startTestServer, type TestServer } from "./test-server";

// session.onRoom has two transports: the raw fan-out in the node:http listener (room-stream.server.ts,
// what the browser's typed client reaches at the procedure's URL) and tRPC's own SSE handler (any
// request the raw route does not take — here one with an extra query parameter). These tests hold the
// raw one to delivering what tRPC delivers — the same frames, ids, snapshot, resume and errors — and
// to its own guarantees: back-pressure and the batching of participant changes in large rooms.

interface Frame {
  event: string;
  data: unknown;
  /** The id the browser would report with it: the frame's own, else the last one (EventSource's rule). */
  id: string | null;
}

interface SseStream {
  frames: Frame[];
  /** Data frames (not pings or `connected`). */
  events(): Frame[];
  ended(): boolean;
  close(): void;
}

type Via = "raw" | "trpc";

async function openStream(
  on: TestServer,
  { token, input, lastEventId, via }: { token?: string; input: unknown; lastEventId?: string; via: Via },
): Promise<SseStream> {
  const abort = new AbortController();
  const query = `input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  const response = await fetch(`${on.trpcUrl}/session.onRoom?${query}${via === "trpc" ? "&via=trpc" : ""}`, {
    headers: {
      accept: "text/event-stream",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(lastEventId ? { "last-event-id": lastEventId } : {}),
    },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const frames: Frame[] = [];
  let ended = false;
  let lastId: string | null = null;
  void (async () => {
    let buffer = "";
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end).replace(/^\n+/, "");
        buffer = buffer.slice(end + 2);
        if (!block) continue;
        const field = (name: string) => new RegExp(`^${name}: ?(.*)$`, "m").exec(block)?.[1];
        const data = field("data");
        lastId = field("id") ?? lastId;
        frames.push({
          event: field("event") ?? "message",
          data: data ? superjson.deserialize(JSON.parse(data) as Parameters<typeof superjson.deserialize>[0]) : data,
          id: lastId,
        });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => (ended = true));
  return {
    frames,
    events: () => frames.filter((frame) => frame.event !== "ping" && frame.event !== "connected"),
    ended: () => ended,
    close: () => abort.abort(),
  };
}

let server: TestServer;
let sessionId: string;
let courseId: string;
const students: { id: string; token: string }[] = [];

const tokenFor = async (user: { id: string; role: "STUDENT" | "INSTRUCTOR" | "ADMIN" }) =>
  (await signAccessToken(server.services.tokenKeys, { ...user, familyId: randomUUID() }, new Date(), 600_000)).token;

beforeAll(async () => {
  // A large room from 5 participants on; a stream with 64 kB unsent is dropped; events go out to two
  // tabs per turn of the event loop (every test here has more tabs than that).
  server = await startTestServer({
    env: { ROOM_LARGE_PARTICIPANTS: "5", ROOM_STREAM_MAX_BUFFER_BYTES: "65536", ROOM_FANOUT_SLICE: "2" },
  });
  const fixture = await createSessionFixture(server.services);
  sessionId = fixture.session.id;
  courseId = fixture.course.id;
  const users = await insertUsers(server.services, 3);
  await enrollUsers(server.services, courseId, users);
  for (const user of users) students.push({ id: user.id, token: await tokenFor(user) });
});
afterAll(() => server?.close());

/** A fresh live session with `count` enrolled students and their tokens. */
async function roomWithStudents(count: number) {
  const fixture = await createSessionFixture(server.services);
  const users = await insertUsers(server.services, count);
  await enrollUsers(server.services, fixture.course.id, users);
  return { fixture, room: fixture.session.id, users, tokens: await Promise.all(users.map(tokenFor)) };
}

/** One raw tab per token on `room`, each with its first event (the snapshot) in. */
async function openRawTabs(room: string, tokens: string[]): Promise<SseStream[]> {
  const tabs = await Promise.all(
    tokens.map((token) => openStream(server, { token, input: { sessionId: room }, via: "raw" })),
  );
  await waitFor(() => tabs.every((tab) => tab.events().length >= 1), { what: "the snapshots" });
  return tabs;
}

async function call(token: string, path: string, input: unknown) {
  const response = await fetch(`${server.trpcUrl}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(superjson.serialize(input)),
  });
  expect(response.status).toBe(200);
}

const sameEvents = (raw: SseStream, trpc: SseStream) => {
  expect(raw.events().map(({ event, data, id }) => ({ event, data, id }))).toEqual(
    trpc.events().map(({ event, data, id }) => ({ event, data, id })),
  );
};

describe("parity with tRPC's transport", () => {
  test("the same snapshot, the same live events with the same ids, and the same resume", async () => {
    const [alice, bob] = students;
    const both = () =>
      Promise.all(
        (["raw", "trpc"] as const).map((via) => openStream(server, { token: alice!.token, input: { sessionId }, via })),
      );
    const [raw, trpc] = (await both()) as [SseStream, SseStream];
    await waitFor(() => raw.events().length === 1 && trpc.events().length === 1, { what: "both snapshots" });
    expect(server.roomStreams()).toEqual({ tabs: 1, sessions: 1 });
    expect((raw.events()[0]!.data as RoomEvent).type).toBe("snapshot");

    // Alice joins (interaction follows), chats and reacts; Bob joins; she leaves; Bob's message is not hers.
    await call(alice!.token, "session.join", { sessionId, connectionId: "tab-alice-1" });
    // Her interaction snapshot is read when each stream learns she is in: both before she writes.
    const hasInteraction = (stream: SseStream) =>
      stream.events().some((frame) => (frame.data as RoomEvent).type === "interaction");
    await waitFor(() => hasInteraction(raw) && hasInteraction(trpc), { what: "both interaction snapshots" });
    await call(alice!.token, "session.sendMessage", { sessionId, clientMessageId: "msg-000001", body: "Hello all" });
    await call(alice!.token, "session.react", { sessionId, reaction: REACTIONS[0] });
    await waitFor(() => trpc.events().some((frame) => (frame.data as RoomEvent).type === "reactions"), {
      what: "the reaction",
    });
    await call(bob!.token, "session.join", { sessionId, connectionId: "tab-bob-0001" });
    await call(alice!.token, "session.leave", { sessionId, connectionId: "tab-alice-1" });
    await call(bob!.token, "session.sendMessage", { sessionId, clientMessageId: "msg-000002", body: "Not for Alice" });
    const types = [
      "snapshot",
      "participants",
      "interaction",
      "chat.posted",
      "reactions",
      "participants",
      "participants",
    ];
    await waitFor(() => raw.events().length >= types.length && trpc.events().length >= types.length, {
      what: "every event on both",
    });
    expect(trpc.events().map((frame) => (frame.data as RoomEvent).type)).toEqual(types);
    sameEvents(raw, trpc);

    // Both resume from the id of Alice's join: `resumed`, then exactly what followed, again alike.
    const joinedAt = raw.events()[1]!.id!;
    raw.close();
    trpc.close();
    const resumed = await Promise.all(
      (["raw", "trpc"] as const).map((via) =>
        openStream(server, { token: alice!.token, input: { sessionId }, lastEventId: joinedAt, via }),
      ),
    );
    // She is out of the room now: her message is not replayed to her, the participant changes are.
    await waitFor(() => resumed.every((stream) => stream.events().length >= 3), { what: "both resumes" });
    expect(resumed[1]!.events().map((frame) => (frame.data as RoomEvent).type)).toEqual([
      "resumed",
      "participants",
      "participants",
    ]);
    sameEvents(resumed[0]!, resumed[1]!);
    for (const stream of resumed) stream.close();
    await waitFor(() => server.roomStreams().tabs === 0, { what: "the raw tabs to close" });
  });

  test("refusals are the same error events: no sign-in, malformed input, unknown session, not enrolled", async () => {
    const [outsider] = await insertUsers(server.services, 1);
    const outsiderToken = await tokenFor(outsider!);
    const cases = [
      { input: { sessionId } },
      { token: students[0]!.token, input: { sessionId: "not-a-uuid" } },
      { token: students[0]!.token, input: { sessionId, extra: 1 } },
      { token: students[0]!.token, input: { sessionId: randomUUID() } },
      { token: outsiderToken, input: { sessionId } },
    ];
    const reasons: unknown[] = [];
    for (const options of cases) {
      const [raw, trpc] = (await Promise.all(
        (["raw", "trpc"] as const).map((via) => openStream(server, { ...options, via })),
      )) as [SseStream, SseStream];
      await waitFor(() => raw.ended() && trpc.ended(), { what: "both refusals" });
      expect(raw.frames.map((frame) => frame.event)).toEqual(["connected", "serialized-error"]);
      expect(raw.frames).toEqual(trpc.frames);
      reasons.push((raw.frames[1]!.data as { data: { reason: string } }).data.reason);
    }
    expect(reasons).toEqual(["UNAUTHENTICATED", "INVALID_INPUT", "INVALID_INPUT", "SESSION_NOT_FOUND", "NOT_ENROLLED"]);
  });
});

describe("the raw fan-out's own guarantees", () => {
  test("a tab that stops reading is dropped past ROOM_STREAM_MAX_BUFFER_BYTES and resumes from its last id", async () => {
    const [, , carol] = students;
    await call(carol!.token, "session.join", { sessionId, connectionId: "tab-carol-01" });
    // A client that never reads: the kernel's buffers fill, then the server's.
    const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ sessionId })));
    socket.write(
      `GET /api/trpc/session.onRoom?input=${input} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${carol!.token}\r\n\r\n`,
    );
    socket.pause();
    await waitFor(() => server.roomStreams().tabs === 1, { what: "the stream to open" });
    // A tab that reads: each event is appended once the fan-out wrote the one before (to both tabs).
    const reader = await openStream(server, { token: carol!.token, input: { sessionId }, via: "raw" });
    await waitFor(() => reader.events().length === 1, { what: "the reading tab's snapshot" });
    const dropped = () => server.roomStreams().tabs === 1;
    const body = "x".repeat(32 * 1024);
    const ids: string[] = [];
    const message = (n: number) => ({
      id: randomUUID(),
      clientMessageId: `bulk-${n}`,
      authorId: carol!.id,
      authorName: "Carol",
      authorIsHost: false,
      body,
      isQuestion: false,
      votes: 0,
      answeredAt: null,
      createdAt: new Date().toISOString(),
    });
    while (!dropped()) {
      expect(ids.length).toBeLessThan(1_500); // 48 MB: far past any socket buffer
      const id = await appendRoomEvent(server.services, sessionId, {
        type: "chat.posted",
        message: message(ids.length),
      });
      ids.push(id);
      await waitFor(() => reader.events().at(-1)?.id === id, { what: `event ${ids.length} fanned out`, intervalMs: 2 });
    }
    reader.close();
    // What reached the client before the drop, then the end of the connection.
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
    socket.resume();
    await new Promise((resolve) => socket.once("close", resolve));
    const delivered = [...received.matchAll(/^id: (.*)$/gm)].map((match) => match[1]!);
    const lastId = delivered.at(-1)!;
    expect(ids).toContain(lastId);
    expect(ids.indexOf(lastId)).toBeLessThan(ids.length - 1);

    // The reconnect with that id gets exactly the rest, in order.
    const resumed = await openStream(server, {
      token: carol!.token,
      input: { sessionId },
      lastEventId: lastId,
      via: "raw",
    });
    const rest = ids.slice(ids.indexOf(lastId) + 1);
    await waitFor(() => resumed.events().length >= rest.length + 1, { what: "the missed events" });
    expect((resumed.events()[0]!.data as RoomEvent).type).toBe("resumed");
    expect(
      resumed
        .events()
        .slice(1)
        .map((frame) => frame.id),
    ).toEqual(rest);
    resumed.close();
    await call(carol!.token, "session.leave", { sessionId, connectionId: "tab-carol-01" });
  });

  test("when the event bus loses its connection every raw tab ends as tRPC's do, and resumes with what was sent meanwhile", async () => {
    const [, bob] = students;
    await call(bob!.token, "session.join", { sessionId, connectionId: "tab-bob-lost" });
    const tabs = await Promise.all(
      [0, 1].map(() => openStream(server, { token: bob!.token, input: { sessionId }, via: "raw" })),
    );
    await waitFor(() => tabs.every((tab) => tab.events().length >= 1), { what: "both snapshots" });
    const sessions = server.roomStreams().sessions;
    expect(await dropEventBusConnection(server.services)).toBeGreaterThan(0);
    // Both end the way a completed tRPC subscription ends: `return`, so the client resumes by id.
    await waitFor(() => tabs.every((tab) => tab.ended()), { what: "both tabs to end" });
    for (const tab of tabs) expect(tab.frames.at(-1)!.event).toBe("return");
    expect(server.roomStreams().sessions).toBe(sessions - 1);

    const lastId = tabs[0]!.events().at(-1)!.id!;
    const sent = await appendRoomEvent(server.services, sessionId, {
      type: "chat.muted",
      userId: bob!.id,
      muted: false,
    });
    const resumed = await openStream(server, {
      token: bob!.token,
      input: { sessionId },
      lastEventId: lastId,
      via: "raw",
    });
    await waitFor(() => resumed.events().length >= 2, { what: "the resume" });
    expect(resumed.events().map((frame) => [(frame.data as RoomEvent).type, frame.id])).toEqual([
      ["resumed", lastId],
      ["chat.muted", sent],
    ]);
    resumed.close();
    await call(bob!.token, "session.leave", { sessionId, connectionId: "tab-bob-lost" });
  });

  test("tabs joining one after another each get every message posted before they joined, however the read is shared", async () => {
    const { room, tokens } = await roomWithStudents(4);
    const tabs = await openRawTabs(room, tokens);
    const interactionOf = async (tab: SseStream) => {
      await waitFor(() => tab.events().some((frame) => (frame.data as RoomEvent).type === "interaction"), {
        what: "an interaction snapshot",
      });
      const frame = tab.events().find((candidate) => (candidate.data as RoomEvent).type === "interaction")!;
      return (frame.data as Extract<RoomEvent, { type: "interaction" }>).interaction.messages.map((m) => m.body);
    };
    const joinAs = (i: number) =>
      call(tokens[i]!, "session.join", { sessionId: room, connectionId: `tab-${i}-shared` });

    // Two join together (one read may serve both), then a message, then two more join together.
    await Promise.all([joinAs(0), joinAs(1)]);
    expect([await interactionOf(tabs[0]!), await interactionOf(tabs[1]!)]).toEqual([[], []]);
    await call(tokens[0]!, "session.sendMessage", { sessionId: room, clientMessageId: "msg-shared-1", body: "First" });
    await Promise.all([joinAs(2), joinAs(3)]);
    expect([await interactionOf(tabs[2]!), await interactionOf(tabs[3]!)]).toEqual([["First"], ["First"]]);
    for (const tab of tabs) tab.close();
  });

  test("events written in slices of two tabs reach each of eight tabs once and in stream order", async () => {
    const { room, tokens } = await roomWithStudents(8);
    const tabs = await openRawTabs(room, tokens);
    await Promise.all(
      tokens.map((token, i) => call(token, "session.join", { sessionId: room, connectionId: `tab-${i}-slices` })),
    );
    const posted = (tab: SseStream) => tab.events().filter((frame) => (frame.data as RoomEvent).type === "chat.posted");
    await waitFor(
      () => tabs.every((tab) => tab.events().some((frame) => (frame.data as RoomEvent).type === "interaction")),
      { what: "every tab in the room" },
    );
    // Twelve messages from four authors at once: each goes out over four turns, the next behind it.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(tokens[i % 4]!, "session.sendMessage", {
          sessionId: room,
          clientMessageId: `msg-slices-${i}`,
          body: `Message ${i}`,
        }),
      ),
    );
    await waitFor(() => tabs.every((tab) => posted(tab).length >= 12), { what: "every message on every tab" });
    const stored = posted(tabs[0]!).map((frame) => frame.id);
    expect(new Set(stored).size).toBe(12);
    expect([...stored].sort((a, b) => compareIds(a!, b!))).toEqual(stored);
    for (const tab of tabs) expect(posted(tab).map((frame) => frame.id)).toEqual(stored);
    for (const tab of tabs) tab.close();
  });

  test("every open tab gets a keep-alive ping", { timeout: 60_000 }, async () => {
    const { room, tokens } = await roomWithStudents(5);
    const tabs = await openRawTabs(room, tokens);
    // Each is owed one every SSE_PING_INTERVAL_MS; twice that is the bound of a broken keep-alive.
    await waitFor(() => tabs.every((tab) => tab.frames.some((frame) => frame.event === "ping")), {
      what: "a ping on every tab",
      timeoutMs: 2 * SSE_PING_INTERVAL_MS,
    });
    for (const tab of tabs) expect(tab.ended()).toBe(false);
    for (const tab of tabs) tab.close();
  });

  test("40 concurrent joins in a large room: batched count-only deltas, every tab converges on the exact count", async () => {
    const { fixture, room, users, tokens } = await roomWithStudents(40);
    // The host and a joining student watch on the raw path, another student on tRPC's, and one more
    // on the raw path from a bundle that does not ask for count-only updates.
    const counting = { sessionId: room, counts: true };
    const [host, student, trpc, older] = await Promise.all([
      openStream(server, { token: await tokenFor(fixture.instructor), input: counting, via: "raw" }),
      openStream(server, { token: tokens[1]!, input: counting, via: "raw" }),
      openStream(server, { token: tokens[0]!, input: counting, via: "trpc" }),
      openStream(server, { token: tokens[2]!, input: { sessionId: room }, via: "raw" }),
    ]);
    const tabs = [host!, student!, trpc!, older!];
    await waitFor(() => tabs.every((tab) => tab.events().length === 1), { what: "the snapshots" });

    // Five first, one after another: the room is large (ROOM_LARGE_PARTICIPANTS = 5) before the rest
    // join at once (joins count-only only from a room already large before them).
    const joinAs = (i: number) => call(tokens[i]!, "session.join", { sessionId: room, connectionId: `tab-${i}-joins` });
    for (let i = 35; i < 40; i++) await joinAs(i);
    await Promise.all(tokens.slice(0, 35).map((_, i) => joinAs(i)));
    const rows = await server.services.db.sessionParticipant.findMany({
      where: { sessionId: room, leftAt: null },
      select: { userId: true },
    });
    expect(rows).toHaveLength(40);
    const changes = (tab: SseStream) =>
      tab
        .events()
        .flatMap((frame) =>
          (frame.data as RoomEvent).type === "participants"
            ? (frame.data as { events: ParticipantEvent[] }).events
            : [],
        );
    const converged = (watcher: SseStream) => {
      let state = EMPTY_PARTICIPANTS;
      for (const frame of watcher.events()) {
        const event = frame.data as RoomEvent;
        if (event.type === "snapshot") state = applyParticipantEvent(state, event.participants);
      }
      for (const change of changes(watcher)) state = applyParticipantEvent(state, change);
      return state;
    };
    await waitFor(() => tabs.every((tab) => converged(tab).participantCount === 40), { what: "every tab to see 40" });
    const listed = (tab: SseStream) =>
      sortedParticipants(converged(tab))
        .map((participant) => participant.userId)
        .sort();
    const everyone = rows.map((row) => row.userId).sort();
    // tRPC's transport sends every change whole, and so does the raw one to a tab that did not ask.
    expect(listed(trpc!)).toEqual(everyone);
    expect(listed(older!)).toEqual(everyone);
    // Raw tabs got the joins past the threshold as counts (the list holds no one unknown), but for
    // their own join, which arrived whole.
    expect(changes(host!).some((change) => change.type === "count")).toBe(true);
    expect(listed(host!).length).toBeLessThanOrEqual(5);
    expect(listed(host!).every((userId) => everyone.includes(userId))).toBe(true);
    expect(listed(student!)).toContain(users[1]!.id);
    expect(listed(student!).length).toBeLessThan(40);
    for (const tab of tabs) {
      expect(converged(tab).pending.size).toBe(0);
      // Every numbered change arrived once: no gap, no copy (a count stands for its range).
      const seqs = changes(tab).flatMap((change) =>
        change.type === "count"
          ? Array.from({ length: change.seq - change.firstSeq + 1 }, (_, i) => change.firstSeq + i)
          : [change.seq],
      );
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    }
    // The raw tabs got the changes in no more frames than tRPC's tab (which gets one per stored entry).
    const frames = (tab: SseStream) =>
      tab.events().filter((frame) => (frame.data as RoomEvent).type === "participants");
    expect(frames(host!).length).toBeLessThanOrEqual(frames(trpc!).length);
    for (const tab of tabs) tab.close();
  });
});
