import type { ChatMessageView, InteractionState } from "@livehall/api";
import { describe, expect, test, vi } from "vitest";
import { linkParts } from "../../components/room/linked-text-parts";
import {
  EMPTY_INTERACTION,
  applyInteractionEvent,
  chatOrder,
  handQueue,
  interactionFrom,
  olderCursor,
  openQuestions,
  withOlder,
} from "./interaction";
import { ChatOutbox, pendingNote } from "./outbox";

const message = (id: string, overrides: Partial<ChatMessageView> = {}): ChatMessageView => ({
  id,
  clientMessageId: `client-${id}`,
  authorId: "author",
  authorName: "Author",
  authorIsHost: false,
  body: `body ${id}`,
  isQuestion: false,
  votes: 0,
  answeredAt: null,
  createdAt: `2026-03-04T12:00:0${id.length}.000Z`,
  ...overrides,
});

const state = (overrides: Partial<InteractionState> = {}): InteractionState => ({
  messages: [],
  hasOlder: false,
  openQuestions: [],
  hands: [],
  mutedUserIds: [],
  myVotes: [],
  ...overrides,
});

describe("the room's interaction view", () => {
  test("events apply by id: a repeat, a late copy of a deleted message or of a lowered hand change nothing", () => {
    let view = interactionFrom(state({ messages: [message("a")] }), EMPTY_INTERACTION);
    view = applyInteractionEvent(view, { type: "chat.posted", message: message("bb") }, "me");
    view = applyInteractionEvent(view, { type: "chat.posted", message: message("bb") }, "me");
    expect(chatOrder(view).map((m) => m.id)).toEqual(["a", "bb"]);
    expect(view.unread).toBe(1);
    view = applyInteractionEvent(view, { type: "chat.deleted", messageId: "bb" }, "me");
    view = applyInteractionEvent(view, { type: "chat.posted", message: message("bb") }, "me");
    expect(chatOrder(view).map((m) => m.id)).toEqual(["a"]);

    const hand = { id: "h1", userId: "u1", name: "U1", raisedAt: "2026-03-04T12:00:00.000Z" };
    view = applyInteractionEvent(view, { type: "hand.lowered", handIds: ["h1"], userIds: ["u1"] }, "me");
    view = applyInteractionEvent(view, { type: "hand.raised", hand }, "me");
    expect(handQueue(view)).toEqual([]);
    // A snapshot read before the lowering does not bring it back either.
    expect(handQueue(interactionFrom(state({ hands: [hand] }), view))).toEqual([]);
  });

  test("open questions by votes (counts only grow), answered ones drop out; my votes are remembered", () => {
    let view = interactionFrom(
      state({ openQuestions: [message("q1", { isQuestion: true }), message("q22", { isQuestion: true })] }),
      EMPTY_INTERACTION,
    );
    view = applyInteractionEvent(view, { type: "question.voted", messageId: "q22", votes: 2, userId: "me" }, "me");
    view = applyInteractionEvent(view, { type: "question.voted", messageId: "q22", votes: 1, userId: "x" }, "me");
    expect(openQuestions(view).map((q) => [q.id, q.votes])).toEqual([
      ["q22", 2],
      ["q1", 0],
    ]);
    expect(view.myVotes.has("q22")).toBe(true);
    view = applyInteractionEvent(
      view,
      { type: "question.answered", messageId: "q22", answeredAt: "2026-03-04T12:01:00.000Z" },
      "me",
    );
    expect(openQuestions(view).map((q) => q.id)).toEqual(["q1"]);
  });
});

describe("paging older chat", () => {
  test("an old open question is not where paging starts: every older message stays reachable", () => {
    // 500 messages, #10 an open question: the snapshot has #301–#500 and, as a question, #10.
    const numbered = (n: number) =>
      message(`m${String(n).padStart(3, "0")}`, {
        createdAt: new Date(Date.UTC(2026, 2, 4, 12, 0, n)).toISOString(),
        isQuestion: n === 10,
      });
    const all = Array.from({ length: 500 }, (_, i) => numbered(i + 1));
    let view = interactionFrom(
      state({ messages: all.slice(300), openQuestions: [all[9]!], hasOlder: true }),
      EMPTY_INTERACTION,
    );
    expect(openQuestions(view).map((q) => q.id)).toEqual(["m010"]);
    expect(chatOrder(view)[0]!.id).toBe("m301");
    // Page as the server would (50 before the cursor) until nothing is older.
    for (let pages = 0; view.hasOlder; pages++) {
      expect(pages).toBeLessThan(10);
      const before = olderCursor(view)!;
      const older = all.filter((m) => m.createdAt < before.createdAt);
      view = withOlder(view, older.slice(-50), older.length > 50);
    }
    expect(chatOrder(view).map((m) => m.id)).toEqual(all.map((m) => m.id));
    // A vote on the old question reaches it in both places.
    view = applyInteractionEvent(view, { type: "question.voted", messageId: "m010", votes: 3, userId: "x" }, "me");
    expect(openQuestions(view)[0]!.votes).toBe(3);
    expect(view.messages.get("m010")!.votes).toBe(3);
  });
});

describe("links in chat text", () => {
  test("http(s) addresses become links, trailing punctuation stays text, other schemes stay text", () => {
    expect(linkParts("see https://example.test/a?b=1. ok")).toEqual([
      { text: "see ", href: null },
      { text: "https://example.test/a?b=1", href: "https://example.test/a?b=1" },
      { text: ". ok", href: null },
    ]);
    expect(linkParts("javascript:alert(1) <b>x</b>")).toEqual([{ text: "javascript:alert(1) <b>x</b>", href: null }]);
  });
});

describe("the chat outbox", () => {
  test("a network failure is retried with the same id; a refusal stays with its reason; a reload sends what was unsent", async () => {
    vi.useFakeTimers();
    const stored = new Map<string, string>();
    const storage = {
      getItem: (key: string) => stored.get(key) ?? null,
      setItem: (key: string, value: string) => void stored.set(key, value),
      removeItem: (key: string) => void stored.delete(key),
    };
    const sent: string[] = [];
    let fail: "network" | "muted" | null = "network";
    const send = vi.fn(async (input: { clientMessageId: string; body: string }) => {
      sent.push(input.clientMessageId);
      if (fail === "network") throw new TypeError("Failed to fetch");
      if (fail === "muted")
        throw Object.assign(new Error("Muted."), { data: { reason: "CHAT_MUTED", httpStatus: 403 } });
      return message("m", { clientMessageId: input.clientMessageId, body: input.body });
    });
    const delivered: string[] = [];
    let ids = 0;
    const options = {
      sessionId: "s",
      send,
      onSent: (m: ChatMessageView) => void delivered.push(m.clientMessageId),
      backoff: { baseMs: 100, capMs: 100 },
      storage,
      newId: () => `id-${++ids}`,
    };
    const outbox = new ChatOutbox(options);
    outbox.send("hello");
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.getState()).toMatchObject([{ clientMessageId: "id-1", status: "waiting" }]);
    // The page goes away before the retry: a new load sends it again, with the same id.
    outbox.dispose();
    fail = null;
    const reloaded = new ChatOutbox(options);
    reloaded.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(delivered).toEqual(["id-1"]);
    expect(sent).toEqual(["id-1", "id-1"]);
    expect(reloaded.getState()).toEqual([]);

    fail = "muted";
    reloaded.send("again");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reloaded.getState()).toMatchObject([{ status: "failed", error: "Muted." }]);
    expect(sent).toHaveLength(3);
    vi.useRealTimers();
  });
  test("over the chat budget the message says so with the server's wait, then goes out by itself", async () => {
    vi.useFakeTimers();
    let limited = true;
    const sent: string[] = [];
    const outbox = new ChatOutbox({
      sessionId: "s",
      send: async (input) => {
        sent.push(input.clientMessageId);
        if (limited) {
          throw Object.assign(new Error("You're sending messages too fast. Wait a few seconds, then send again."), {
            data: { reason: "RATE_LIMITED", httpStatus: 429, retryAfterMs: 3_500 },
          });
        }
        return message("m", { clientMessageId: input.clientMessageId });
      },
      onSent: () => undefined,
      backoff: { baseMs: 100, capMs: 100 },
      newId: () => "id-1",
      now: () => Date.now(),
    });
    outbox.send("one too many");
    await vi.advanceTimersByTimeAsync(0);
    const [waiting] = outbox.getState();
    expect(waiting).toMatchObject({ status: "throttled", retryAt: Date.now() + 3_500 });
    expect(pendingNote(waiting!, Date.now())).toBe("You're sending messages too fast — sends in 4 s");
    expect(pendingNote(waiting!, Date.now() + 2_100)).toBe("You're sending messages too fast — sends in 2 s");
    // Coming back online does not skip the budget's wait.
    outbox.retryAll();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(sent).toEqual(["id-1"]);
    limited = false;
    await vi.advanceTimersByTimeAsync(600);
    expect(sent).toEqual(["id-1", "id-1"]);
    expect(outbox.getState()).toEqual([]);
    vi.useRealTimers();
  });
});
