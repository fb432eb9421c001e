import type { ParticipantEvent, RoomEvent } from "@livehall/api";
import { createSessionFixture } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signedUpClient, startTestServer, type TestServer } from "./test-server";

// Two web instances on one Redis and one database, as behind a load balancer.
let instanceA: TestServer;
let instanceB: TestServer;

beforeAll(async () => {
  [instanceA, instanceB] = await Promise.all([startTestServer(), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([instanceA?.close(), instanceB?.close()]);
});

function collect(client: Awaited<ReturnType<typeof signedUpClient>>, sessionId: string) {
  const events: ParticipantEvent[] = [];
  const subscription = client.session.onParticipants.subscribe(
    { sessionId },
    { onData: (event) => void events.push(event as ParticipantEvent) },
  );
  return { events, stop: () => subscription.unsubscribe() };
}

test("a subscriber on instance A sees a join made through instance B; a reconnecting subscriber gets a fresh snapshot", async () => {
  const { session } = await createSessionFixture(instanceA.services);
  const watcher = await signedUpClient(instanceA, "watcher@example.test");
  // Watching a room is for the course's students (docs/decisions/020): the watcher enrolls (an open course).
  await watcher.course.enroll.mutate({ courseId: session.courseId });
  const joiner = await signedUpClient(instanceB, "joiner@example.test");

  const first = collect(watcher, session.id);
  await waitFor(() => first.events[0]?.type === "snapshot", { what: "the first snapshot" });
  expect(first.events[0]).toMatchObject({ type: "snapshot", participantCount: 0, participants: [] });

  await joiner.session.join.mutate({ sessionId: session.id, connectionId: "joiner-tab-1" });
  const joined = await waitFor(() => first.events.find((event) => event.type === "joined"), {
    what: "the join event on instance A",
  });
  expect(joined).toMatchObject({ participantCount: 1, participant: { name: "joiner", connections: 1 } });
  first.stop();

  // While the watcher is disconnected, the joiner leaves; on reconnect the snapshot already says so.
  await joiner.session.leave.mutate({ sessionId: session.id, connectionId: "joiner-tab-1" });
  const second = collect(watcher, session.id);
  await waitFor(() => second.events[0]?.type === "snapshot", { what: "the snapshot after reconnecting" });
  expect(second.events[0]).toMatchObject({ type: "snapshot", participantCount: 0, participants: [] });
  second.stop();
});

test("the room stream: a message sent through instance A reaches a tab on instance B, with its stream id", async () => {
  const { session } = await createSessionFixture(instanceA.services);
  const sender = await signedUpClient(instanceA, "sender@example.test");
  const reader = await signedUpClient(instanceB, "reader@example.test");
  for (const [i, client] of [sender, reader].entries()) {
    await client.session.join.mutate({ sessionId: session.id, connectionId: `room-tab-${i}-xxxx` });
  }
  const received: { id: string; data: RoomEvent }[] = [];
  const subscription = reader.session.onRoom.subscribe(
    { sessionId: session.id },
    { onData: (envelope) => void received.push(envelope as { id: string; data: RoomEvent }) },
  );
  await waitFor(() => received[0]?.data.type === "snapshot", { what: "the room snapshot on B" });
  expect(received[0]!.data).toMatchObject({ type: "snapshot", joined: true, interaction: { messages: [] } });

  const sent = await sender.session.sendMessage.mutate({
    sessionId: session.id,
    clientMessageId: "across-instances-1",
    body: "hello from A",
  });
  const posted = await waitFor(() => received.find((entry) => entry.data.type === "chat.posted"), {
    what: "the message on B",
  });
  expect(posted.data).toMatchObject({ message: { id: sent.id, body: "hello from A", authorName: "sender" } });
  expect(posted.id).toMatch(/^\d+-\d+$/);
  subscription.unsubscribe();
});
