import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";
import type { RoomEvent } from "./room-events";
import { loadInteraction } from "./room-interaction";

// Real time, but every reading is later than the one before: raise order is never a tie.
let last = 0;
const { services, context, close } = createTestServices(
  {},
  { clock: () => new Date((last = Math.max(Date.now(), last + 1))) },
);
// A second web instance whose clock is an hour behind.
const behind = createTestServices({}, { clock: () => new Date(Date.now() - 60 * 60_000) });
afterAll(async () => {
  await close();
  await behind.close();
});

const caller = (user: SessionUser) => createCaller(context(user));
const refused = (reason: string) => ({ cause: { reason } });

/**
 * A live session with its instructor and two students in the room, an onlooker enrolled in the course
 * but out of the room, and an admin.
 */
async function room() {
  const { session, instructor } = await createSessionFixture(services);
  const [student, other, onlooker] = (await insertUsers(services, 3)).map(asSessionUser);
  await enrollUsers(services, session.courseId, [onlooker!]);
  const [admin] = (await insertUsers(services, 1, { role: "ADMIN" })).map(asSessionUser);
  const [stranger] = (await insertUsers(services, 1, { role: "INSTRUCTOR" })).map(asSessionUser);
  for (const [i, user] of [instructor, student!, other!].entries()) {
    await caller(user).session.join({ sessionId: session.id, connectionId: `interaction-${i}-tab` });
  }
  return {
    sessionId: session.id,
    instructor,
    student: student!,
    other: other!,
    onlooker: onlooker!,
    admin: admin!,
    stranger: stranger!,
  };
}

let clientIds = 0;
const send = (user: SessionUser, sessionId: string, body: string, asQuestion = false) =>
  caller(user).session.sendMessage({ sessionId, clientMessageId: `message-${++clientIds}`, body, asQuestion });

describe("who may read and send chat", () => {
  test("only participants read or send; HTML stays text; empty and over-long messages are refused", async () => {
    const { sessionId, student, onlooker } = await room();
    await expect(send(onlooker, sessionId, "hello")).rejects.toMatchObject(refused("NOT_IN_ROOM"));
    const sent = await send(student, sessionId, "<b>hi</b> see https://example.test");
    expect(sent).toMatchObject({ body: "<b>hi</b> see https://example.test", isQuestion: false, votes: 0 });
    const before = { createdAt: new Date(Date.now() + 60_000).toISOString(), id: sent.id };
    await expect(caller(onlooker).session.chatHistory({ sessionId, before })).rejects.toMatchObject(
      refused("NOT_IN_ROOM"),
    );
    expect((await caller(student).session.chatHistory({ sessionId, before })).messages.map((m) => m.id)).toEqual([
      sent.id,
    ]);
    await expect(send(student, sessionId, "   ")).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(send(student, sessionId, "x".repeat(2_001))).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  test("older chat before a time Postgres cannot hold (year 0) is refused with 400 INVALID_INPUT, not a 500", async () => {
    const { sessionId, student } = await room();
    const ask = (createdAt: string) =>
      callOverHttp({
        path: "session.chatHistory",
        type: "query",
        input: { sessionId, before: { createdAt, id: crypto.randomUUID() } },
        raw: true,
        context: () => context(student),
      });
    for (const createdAt of ["0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]) {
      const answer = await ask(createdAt);
      expect({ status: answer.status, reason: answer.error?.data.reason }).toEqual({
        status: 400,
        reason: "INVALID_INPUT",
      });
    }
    expect((await ask("9999-12-31T23:59:59Z")).status).toBe(200);
  });

  test("over the chat budget (5 at once) a send is refused with RATE_LIMITED and a retry hint", async () => {
    const { sessionId, student } = await room();
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => send(student, sessionId, `m${i}`)));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(5);
    const rejected = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    expect(rejected).toHaveLength(2);
    expect(rejected[0]!.reason).toMatchObject({ code: "TOO_MANY_REQUESTS", cause: { reason: "RATE_LIMITED" } });
    expect(rejected[0]!.reason.cause.retryAfterMs).toBeGreaterThan(0);
  });
});

describe("the chat's order", () => {
  test("a message sent later through an instance with a slow clock still comes later: the time is the database's", async () => {
    const { sessionId, student, other } = await room();
    const first = await send(student, sessionId, "first");
    const second = await createCaller(behind.context(other)).session.sendMessage({
      sessionId,
      clientMessageId: `message-${++clientIds}`,
      body: "second",
    });
    expect(Date.parse(second.createdAt)).toBeGreaterThan(Date.parse(first.createdAt));
    const state = await loadInteraction(services, sessionId, student.id);
    expect(state.messages.map((message) => message.body)).toEqual(["first", "second"]);
    const before = { createdAt: new Date(Date.now() + 60_000).toISOString(), id: crypto.randomUUID() };
    const page = await caller(student).session.chatHistory({ sessionId, before });
    expect(page.messages.map((message) => message.body)).toEqual(["first", "second"]);
  });
});

describe("moderation: only the course's instructor or an admin", () => {
  test("deletes, mutes and answers; a student or another instructor is refused", async () => {
    const { sessionId, instructor, student, other, admin, stranger } = await room();
    const message = await send(other, sessionId, "rude");
    const question = await send(other, sessionId, "why?", true);
    for (const user of [student, stranger]) {
      await expect(caller(user).session.deleteMessage({ sessionId, messageId: message.id })).rejects.toMatchObject(
        refused("FORBIDDEN"),
      );
      await expect(
        caller(user).session.setChatMuted({ sessionId, userId: other.id, muted: true }),
      ).rejects.toMatchObject(refused("FORBIDDEN"));
      await expect(caller(user).session.answerQuestion({ sessionId, messageId: question.id })).rejects.toMatchObject(
        refused("FORBIDDEN"),
      );
      await expect(caller(user).session.lowerHands({ sessionId })).rejects.toMatchObject(refused("FORBIDDEN"));
    }
    expect(await services.db.chatMessage.count({ where: { sessionId, deletedAt: { not: null } } })).toBe(0);

    await caller(instructor).session.deleteMessage({ sessionId, messageId: message.id });
    await caller(admin).session.answerQuestion({ sessionId, messageId: question.id });
    const stored = await services.db.chatMessage.findUniqueOrThrow({ where: { id: message.id } });
    expect(stored).toMatchObject({ deletedById: instructor.id });
    expect(stored.deletedAt).not.toBeNull();
    expect((await services.db.chatMessage.findUniqueOrThrow({ where: { id: question.id } })).answeredById).toBe(
      admin.id,
    );
    await expect(
      caller(instructor).session.deleteMessage({ sessionId, messageId: crypto.randomUUID() }),
    ).rejects.toMatchObject(refused("MESSAGE_NOT_FOUND"));
  });

  test("a muted student's send is refused with CHAT_MUTED until unmuted", async () => {
    const { sessionId, instructor, student } = await room();
    await caller(instructor).session.setChatMuted({ sessionId, userId: student.id, muted: true });
    await expect(send(student, sessionId, "let me speak")).rejects.toMatchObject({
      code: "FORBIDDEN",
      cause: { reason: "CHAT_MUTED" },
    });
    await caller(instructor).session.setChatMuted({ sessionId, userId: student.id, muted: false });
    await expect(send(student, sessionId, "thanks")).resolves.toMatchObject({ body: "thanks" });
  });
});

describe("questions, hands and reactions", () => {
  test("everyone upvotes a question once, concurrently; the count is exact", async () => {
    const { sessionId, student, other, instructor } = await room();
    const question = await send(student, sessionId, "what is a monad?", true);
    const voters = [student, other, instructor];
    await Promise.all(
      voters.flatMap((user) =>
        [1, 2, 3].map(() => caller(user).session.upvoteQuestion({ sessionId, messageId: question.id })),
      ),
    );
    expect((await services.db.chatMessage.findUniqueOrThrow({ where: { id: question.id } })).votes).toBe(3);
    expect(await services.db.questionVote.count({ where: { messageId: question.id } })).toBe(3);
    const plain = await send(student, sessionId, "not a question");
    await expect(caller(other).session.upvoteQuestion({ sessionId, messageId: plain.id })).rejects.toMatchObject(
      refused("MESSAGE_NOT_FOUND"),
    );
  });

  test("hands queue in raise order, one up per user; the host lowers one or all", async () => {
    const { sessionId, student, other, instructor, onlooker } = await room();
    await expect(caller(onlooker).session.raiseHand({ sessionId })).rejects.toMatchObject(refused("NOT_IN_ROOM"));
    const first = await caller(student).session.raiseHand({ sessionId });
    const again = await Promise.all([1, 2, 3].map(() => caller(student).session.raiseHand({ sessionId })));
    expect(again.map((hand) => hand.id)).toEqual([first.id, first.id, first.id]);
    await caller(other).session.raiseHand({ sessionId });
    const up = await services.db.raisedHand.findMany({
      where: { sessionId, loweredAt: null },
      orderBy: { raisedAt: "asc" },
    });
    expect(up.map((hand) => hand.userId)).toEqual([student.id, other.id]);

    expect(await caller(instructor).session.lowerHands({ sessionId, userId: student.id })).toEqual({ lowered: 1 });
    expect(await caller(other).session.lowerHand({ sessionId })).toEqual({ lowered: 1 });
    await caller(student).session.raiseHand({ sessionId });
    await caller(other).session.raiseHand({ sessionId });
    expect(await caller(instructor).session.lowerHands({ sessionId })).toEqual({ lowered: 2 });
    expect(await services.db.raisedHand.count({ where: { sessionId } })).toBe(4);
    expect(await services.db.raisedHand.count({ where: { sessionId, loweredAt: null } })).toBe(0);

    // Leaving the room lowers one's hand by itself.
    await caller(student).session.raiseHand({ sessionId });
    await caller(student).session.leave({ sessionId, connectionId: "interaction-1-tab", everywhere: true });
    expect(await services.db.raisedHand.count({ where: { sessionId, loweredAt: null } })).toBe(0);
  });

  test("60 reactions at once reach a tab as a few per-second sums, not 60 events", async () => {
    const { sessionId, student, onlooker } = await room();
    const users = [...(await insertUsers(services, 30)).map(asSessionUser)];
    for (const user of users) await caller(user).session.join({ sessionId, connectionId: "reacting-tab" });
    const abort = new AbortController();
    const stream = await createCaller(context(student), { signal: abort.signal }).session.onRoom({ sessionId });
    const events: RoomEvent[] = [];
    void (async () => {
      for await (const [, event] of stream as AsyncIterable<[string, RoomEvent]>) events.push(event);
    })().catch(() => undefined);
    await waitFor(() => events.length > 0, { what: "the snapshot" });
    await expect(caller(onlooker).session.react({ sessionId, reaction: "👍" })).rejects.toMatchObject(
      refused("NOT_IN_ROOM"),
    );
    await Promise.all(
      users.flatMap((user) => [
        caller(user).session.react({ sessionId, reaction: "👍" }),
        caller(user).session.react({ sessionId, reaction: "🎉" }),
      ]),
    );
    const sums = () => {
      const total: Record<string, number> = {};
      for (const event of events)
        if (event.type === "reactions")
          for (const [emoji, n] of Object.entries(event.counts)) total[emoji] = (total[emoji] ?? 0) + n;
      return total;
    };
    await waitFor(() => sums()["👍"] === 30 && sums()["🎉"] === 30, { what: "every reaction summed" });
    // One event per second that had reactions, however many clicks it had.
    expect(events.filter((event) => event.type === "reactions").length).toBeLessThan(10);
    abort.abort();
  });
});
