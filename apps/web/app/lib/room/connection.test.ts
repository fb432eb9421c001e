import type { ParticipantEvent } from "@livehall/api";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  RoomConnection,
  type ConnectionInput,
  type HeartbeatAnswer,
  type JoinAnswer,
  type LeaveInput,
  type RoomApi,
  type RoomEnvelope,
  type StreamHandlers,
  type TelemetryType,
} from "./connection";

/** A tRPC-like failure: `data` when the server answered, none for a network failure. */
function answerError(reason: string, httpStatus: number, retryAfterMs?: number) {
  return Object.assign(new Error(reason), { data: { reason, httpStatus, retryAfterMs: retryAfterMs ?? null } });
}
const networkError = () => new TypeError("Failed to fetch");

const HEARTBEAT_MS = 1_000;

interface FakeApi extends RoomApi {
  joins: ConnectionInput[];
  heartbeats: number;
  leaves: number;
  leaveInputs: LeaveInput[];
  exitLeaves: number;
  subscriptions: StreamHandlers[];
  /** The lastEventId each subscription resumed after (null: fresh). */
  resumedAfter: (string | null)[];
  unsubscribed: number;
  /** What the next calls answer; a function may throw. */
  nextJoin: () => JoinAnswer;
  nextHeartbeat: () => HeartbeatAnswer;
  status: RoomApi["status"];
}

function fakeApi(): FakeApi {
  const api: FakeApi = {
    joins: [],
    heartbeats: 0,
    leaves: 0,
    leaveInputs: [],
    exitLeaves: 0,
    subscriptions: [],
    resumedAfter: [],
    unsubscribed: 0,
    nextJoin: () => ({
      joinedAt: new Date(0).toISOString(),
      connections: 1,
      participantCount: 1,
      heartbeatIntervalMs: HEARTBEAT_MS,
    }),
    nextHeartbeat: () => ({ status: "ok", heartbeatIntervalMs: HEARTBEAT_MS }),
    join: async (input) => {
      api.joins.push(input);
      return api.nextJoin();
    },
    heartbeat: async () => {
      api.heartbeats++;
      return api.nextHeartbeat();
    },
    leave: async (input) => {
      api.leaves++;
      api.leaveInputs.push(input);
    },
    leaveOnExit: () => {
      api.exitLeaves++;
    },
    status: async () => "LIVE",
    subscribe: (_sessionId, lastEventId, handlers) => {
      api.subscriptions.push(handlers);
      api.resumedAfter.push(lastEventId);
      return () => {
        api.unsubscribed++;
      };
    },
  };
  return api;
}

let streamIds = 0;
const nextId = () => `1000-${++streamIds}`;

/** A fresh room-stream snapshot (not in the room: no chat). */
const snapshot = (seq: number, userIds: string[]): RoomEnvelope => ({
  id: nextId(),
  data: {
    type: "snapshot",
    joined: false,
    interaction: null,
    participants: {
      type: "snapshot",
      seq,
      status: "LIVE",
      media: { available: true, feeds: [] },
      participants: userIds.map((userId) => ({
        userId,
        name: userId,
        joinedAt: new Date(0).toISOString(),
        connections: 1,
        isInstructor: false,
      })),
      participantCount: userIds.length,
    },
  },
});

/** Participant deltas as the room stream carries them. */
const delta = (...events: ParticipantEvent[]): RoomEnvelope => ({
  id: nextId(),
  data: { type: "participants", events },
});

let api: FakeApi;
let telemetry: { type: TelemetryType; durationMs?: number }[];
let online: boolean;

function room(overrides: Partial<ConstructorParameters<typeof RoomConnection>[0]> = {}) {
  return new RoomConnection({
    sessionId: "11111111-1111-4111-8111-111111111111",
    connectionId: "tab-aaaaaaaa",
    api,
    backoff: { baseMs: 1_000, capMs: 8_000 },
    heartbeatIntervalMs: 30_000,
    telemetry: (type, durationMs) => void telemetry.push(durationMs === undefined ? { type } : { type, durationMs }),
    isOnline: () => online,
    ...overrides,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0.5);
  api = fakeApi();
  telemetry = [];
  online = true;
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the room's connection state machine", () => {
  test("joins, adopts the server's heartbeat interval, heartbeats on it, and reports the join", async () => {
    const connection = room();
    connection.start();
    expect(connection.getState().phase).toBe("joining");
    expect(api.subscriptions).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState()).toMatchObject({
      phase: "connected",
      heartbeatIntervalMs: HEARTBEAT_MS,
      connections: 1,
    });
    expect(telemetry.map((event) => event.type)).toEqual(["connection_succeeded"]);

    await vi.advanceTimersByTimeAsync(3_000);
    expect(api.heartbeats).toBe(3);
    expect(connection.getState().debug.heartbeats).toHaveLength(3);
    expect(api.joins).toHaveLength(1);
  });

  test("a network failure shows reconnecting with a countdown, retries with growing backoff, recovers by itself", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.nextHeartbeat = () => {
      throw networkError();
    };
    api.nextJoin = () => {
      throw networkError();
    };
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    let state = connection.getState();
    expect(state.phase).toBe("reconnecting");
    expect(state.attempt).toBe(1);
    // Full jitter with random() = 0.5: half of base·2^attempt.
    expect(state.retryAt! - Date.now()).toBe(500);

    await vi.advanceTimersByTimeAsync(500);
    state = connection.getState();
    expect(state).toMatchObject({ phase: "reconnecting", attempt: 2 });
    expect(state.retryAt! - Date.now()).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(connection.getState().retryAt! - Date.now()).toBe(2_000);

    // The network comes back: the next attempt (an idempotent join) succeeds.
    api.nextJoin = fakeApi().nextJoin;
    api.nextHeartbeat = fakeApi().nextHeartbeat;
    const subscriptionsBefore = api.subscriptions.length;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(connection.getState()).toMatchObject({ phase: "connected", attempt: 0, retryAt: null });
    // A fresh subscription (and so a fresh snapshot) after the outage.
    expect(api.subscriptions.length).toBe(subscriptionsBefore + 1);
    expect(telemetry.map((event) => event.type)).toEqual([
      "connection_succeeded",
      "connection_failed",
      "connection_failed",
      "connection_failed",
      "reconnect",
    ]);
    expect(telemetry.at(-1)!.durationMs).toBe(3_500);
  });

  test("the backoff is capped", async () => {
    api.nextJoin = () => {
      throw networkError();
    };
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 8; i++) await vi.advanceTimersByTimeAsync(connection.getState().retryAt! - Date.now());
    expect(connection.getState().retryAt! - Date.now()).toBe(4_000);
  });

  test("Retry now skips the wait; the browser coming online does too", async () => {
    api.nextJoin = () => {
      throw networkError();
    };
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(connection.getState().retryAt! - Date.now());
    await vi.advanceTimersByTimeAsync(connection.getState().retryAt! - Date.now());
    expect(api.joins).toHaveLength(3);
    connection.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.joins).toHaveLength(4);

    online = false;
    connection.browserOffline();
    expect(connection.getState().phase).toBe("offline");
    api.nextJoin = fakeApi().nextJoin;
    online = true;
    connection.browserOnline();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState().phase).toBe("connected");
  });

  test("heartbeat answers rejoin: the tab joins again by itself and takes a fresh snapshot", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.nextHeartbeat = () => ({ status: "rejoin", heartbeatIntervalMs: HEARTBEAT_MS });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(api.joins).toHaveLength(2);
    expect(connection.getState().phase).toBe("connected");
    expect(api.subscriptions).toHaveLength(2);
    expect(telemetry.map((event) => event.type)).toEqual(["connection_succeeded", "reconnect"]);
  });

  test("heartbeat answers replaced (too many tabs): the tab says why, stops beating and streaming, and never re-joins by itself", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.nextHeartbeat = () => ({ status: "replaced", reason: "TOO_MANY_TABS", heartbeatIntervalMs: HEARTBEAT_MS });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(connection.getState()).toMatchObject({
      phase: "replaced",
      error: { message: "You opened this class in too many tabs; this one was closed.", reason: "TOO_MANY_TABS" },
    });
    expect(connection.active).toBe(false);
    expect(api.unsubscribed).toBe(1);
    const beats = api.heartbeats;
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS * 10);
    connection.browserOnline();
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(api.joins).toHaveLength(1);
    expect(api.heartbeats).toBe(beats);
    expect(connection.getState().phase).toBe("replaced");
    // Only the person's own choice ("Use this tab") joins again.
    api.nextHeartbeat = fakeApi().nextHeartbeat;
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.joins).toHaveLength(2);
    expect(connection.getState().phase).toBe("connected");
  });

  test("SERVICE_UNAVAILABLE (a Redis outage) is retried after at least the server's retry hint, then re-joins", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.nextHeartbeat = () => {
      throw answerError("SERVICE_UNAVAILABLE", 503, 2_000);
    };
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(connection.getState().phase).toBe("reconnecting");
    expect(connection.getState().retryAt! - Date.now()).toBe(2_000);
    api.nextHeartbeat = fakeApi().nextHeartbeat;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.joins).toHaveLength(2);
    expect(connection.getState().phase).toBe("connected");
  });

  test("a definite auth answer signs the room out (no retry, no redirect); UNAUTHENTICATED too", async () => {
    for (const reason of ["SESSION_REVOKED", "REFRESH_TOKEN_REUSED", "UNAUTHENTICATED"]) {
      api = fakeApi();
      telemetry = [];
      const connection = room();
      connection.start();
      await vi.advanceTimersByTimeAsync(0);
      api.nextHeartbeat = () => {
        throw answerError(reason, 401);
      };
      await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
      expect(connection.getState()).toMatchObject({ phase: "signed-out", error: { reason } });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(api.heartbeats).toBe(1);
      expect(api.unsubscribed).toBe(1);
      expect(telemetry.map((event) => event.type)).toEqual(["connection_succeeded", "signed_out"]);
    }
  });

  test("an expired access token the link could not refresh is a connection problem, retried", async () => {
    api.nextJoin = () => {
      throw answerError("ACCESS_TOKEN_EXPIRED", 401);
    };
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState().phase).toBe("reconnecting");
  });

  test("SESSION_NOT_LIVE on join with the session ended: the room is over", async () => {
    api.nextJoin = () => {
      throw answerError("SESSION_NOT_LIVE", 412);
    };
    api.status = async () => "ENDED";
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState()).toMatchObject({ phase: "ended", endedStatus: "ENDED" });
  });

  test("other refusals fail visibly; Try again starts over", async () => {
    api.nextJoin = () => {
      throw answerError("FORBIDDEN", 403);
    };
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState().phase).toBe("failed");
    api.nextJoin = fakeApi().nextJoin;
    connection.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState().phase).toBe("connected");
  });

  test("Leave: every tab of the user leaves, heartbeats stop, the list keeps updating; Rejoin joins again", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    await connection.leave();
    expect(connection.getState().phase).toBe("left");
    expect(api.leaveInputs).toEqual([
      { sessionId: expect.any(String), connectionId: "tab-aaaaaaaa", everywhere: true },
    ]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(api.heartbeats).toBe(0);
    expect(api.unsubscribed).toBe(0);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState().phase).toBe("connected");
    expect(api.joins).toHaveLength(2);
  });

  test("pagehide leaves with the exit path (beacon); a page restored from the back-forward cache is ready, not joined", async () => {
    const connection = room();
    connection.open();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    connection.suspend();
    expect(api.exitLeaves).toBe(1);
    expect(api.unsubscribed).toBe(1);
    // Hidden: the pre-join screen behind it must not open the camera for a page nobody sees.
    expect(connection.getState()).toMatchObject({ phase: "ready", hidden: true });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(api.heartbeats).toBe(0);
    connection.resume();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(connection.getState()).toMatchObject({ phase: "ready", hidden: false });
    expect(api.joins).toHaveLength(1);
    expect(api.heartbeats).toBe(0);
    // Back on the pre-join screen: the list follows the room again.
    expect(api.subscriptions).toHaveLength(2);
  });

  test("opening the room only follows who is there; nothing joins until the Join button", async () => {
    const connection = room();
    connection.open();
    expect(connection.getState().phase).toBe("ready");
    expect(api.subscriptions).toHaveLength(1);
    api.subscriptions[0]!.onData(snapshot(2, ["a", "b"]));
    expect(connection.getState()).toMatchObject({ stream: "open", participants: { participantCount: 2 } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.joins).toHaveLength(0);
    expect(api.heartbeats).toBe(0);
    expect(connection.active).toBe(false);
    // Opening again (a re-render, StrictMode) changes nothing.
    connection.open();
    expect(api.subscriptions).toHaveLength(1);

    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState().phase).toBe("connected");
    expect(api.joins).toHaveLength(1);
    // The same stream goes on: joining does not re-subscribe.
    expect(api.subscriptions).toHaveLength(1);
  });

  test("heartbeat answers left (Leave pressed in another tab): the tab says so and never re-joins by itself", async () => {
    const connection = room();
    connection.open();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.nextHeartbeat = () => ({ status: "left", heartbeatIntervalMs: HEARTBEAT_MS });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(connection.getState()).toMatchObject({
      phase: "left",
      error: { message: "You left this session in another tab." },
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(api.joins).toHaveLength(1);
    expect(api.heartbeats).toBe(1);
    // The list keeps following the room; Rejoin joins.
    expect(api.unsubscribed).toBe(0);
    api.nextHeartbeat = () => ({ status: "ok", heartbeatIntervalMs: HEARTBEAT_MS });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.getState()).toMatchObject({ phase: "connected", error: null });
  });

  test("removed by the instructor (a heartbeat, a refused join or the stream): out, no stream, no re-join by itself", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.nextHeartbeat = () => ({ status: "removed", reason: "REMOVED_BY_HOST", heartbeatIntervalMs: HEARTBEAT_MS });
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(connection.getState()).toMatchObject({
      phase: "removed",
      stream: "idle",
      error: { message: "The instructor removed you from this session.", reason: "REMOVED_BY_HOST" },
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(api.joins).toHaveLength(1);

    // Trying again while still removed: refused, and still removed (no retries).
    api.nextJoin = () => {
      throw answerError("REMOVED_BY_HOST", 403);
    };
    connection.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(connection.getState().phase).toBe("removed");
    expect(api.joins).toHaveLength(2);
  });

  test("NOT_ENROLLED (taken out of the course) from the stream or a join: out, no stream, no retries", async () => {
    const connection = room();
    connection.open();
    await vi.advanceTimersByTimeAsync(0);
    api.subscriptions[0]!.onError(answerError("NOT_ENROLLED", 403));
    expect(connection.getState()).toMatchObject({ phase: "failed", stream: "idle", error: { reason: "NOT_ENROLLED" } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.subscriptions).toHaveLength(1);

    api.nextJoin = () => {
      throw answerError("NOT_ENROLLED", 403);
    };
    connection.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(connection.getState()).toMatchObject({ phase: "failed", stream: "idle", error: { reason: "NOT_ENROLLED" } });
    expect(api.joins).toHaveLength(1);
  });

  test("the stream's removal of this user closes the tab; someone else's removal only updates the list", async () => {
    const connection = room({ userId: "me" });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.subscriptions[0]!.onData(snapshot(1, ["me", "other"]));
    api.subscriptions[0]!.onData(
      delta({ type: "left", seq: 2, userIds: ["other"], reason: "REMOVED", participantCount: 1 }),
    );
    expect(connection.getState()).toMatchObject({ phase: "connected", participants: { participantCount: 1 } });
    api.subscriptions[0]!.onData(delta({ type: "left", seq: 3, userIds: ["me"], reason: "LEFT", participantCount: 0 }));
    expect(connection.getState().phase).toBe("connected");
    api.subscriptions[0]!.onData(
      delta({ type: "left", seq: 4, userIds: ["me"], reason: "REMOVED", participantCount: 0 }),
    );
    expect(connection.getState().phase).toBe("removed");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.heartbeats).toBe(0);
  });

  test("Leave during a join in flight: the leave waits for the join, whose answer is then ignored", async () => {
    let resolveJoin: (answer: JoinAnswer) => void = () => undefined;
    api.join = () => new Promise((resolve) => (resolveJoin = resolve));
    const connection = room();
    connection.start();
    const leaving = connection.leave();
    expect(connection.getState().phase).toBe("left");
    await vi.advanceTimersByTimeAsync(0);
    // Not sent yet: it would race the join at the server.
    expect(api.leaves).toBe(0);
    resolveJoin({ joinedAt: new Date(0), connections: 1, participantCount: 1, heartbeatIntervalMs: HEARTBEAT_MS });
    await leaving;
    expect(api.leaves).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(connection.getState().phase).toBe("left");
    expect(api.heartbeats).toBe(0);
  });

  test("the stream: snapshot opens it, an error re-subscribes with backoff, ENDED ends the room", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.subscriptions[0]!.onData(snapshot(3, ["a", "b"]));
    expect(connection.getState().stream).toBe("open");
    expect(connection.getState().participants.participantCount).toBe(2);

    api.subscriptions[0]!.onError(networkError());
    expect(connection.getState().stream).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(500);
    expect(api.subscriptions).toHaveLength(2);
    api.subscriptions[1]!.onData(snapshot(7, ["a"]));
    expect(connection.getState().participants.participantCount).toBe(1);

    api.subscriptions[1]!.onData(delta({ type: "status", seq: 8, status: "ENDED", participantCount: 0 }));
    expect(connection.getState()).toMatchObject({ phase: "ended", endedStatus: "ENDED", stream: "idle" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.heartbeats).toBe(0);
  });

  test("a stream the server ends (its maximum duration) is re-subscribed and the new snapshot replaces the list", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.subscriptions[0]!.onData(snapshot(3, ["a", "b"]));
    api.subscriptions[0]!.onComplete();
    expect(connection.getState().stream).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(api.subscriptions).toHaveLength(2);
    api.subscriptions[1]!.onData(snapshot(9, ["a"]));
    expect(connection.getState()).toMatchObject({ stream: "open", participants: { participantCount: 1 } });
  });

  test("a gap in seq that does not fill is repaired with a fresh subscription", async () => {
    const connection = room({ gapGraceMs: 1_000 });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    api.subscriptions[0]!.onData(snapshot(1, []));
    api.subscriptions[0]!.onData(
      delta({
        type: "joined",
        seq: 3,
        participant: {
          userId: "x",
          name: "x",
          joinedAt: new Date(0).toISOString(),
          connections: 1,
          isInstructor: false,
        },
        participantCount: 2,
      }),
    );
    expect(api.subscriptions).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(api.subscriptions).toHaveLength(2);
  });

  test("a failed stream resumes after the last event it had; chat applies by id and a repeat changes nothing", async () => {
    const connection = room({ userId: "me" });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = snapshot(1, ["me"]);
    api.subscriptions[0]!.onData({
      ...first,
      data: {
        ...(first.data as Extract<RoomEnvelope["data"], { type: "snapshot" }>),
        joined: true,
        interaction: { messages: [], hasOlder: false, openQuestions: [], hands: [], mutedUserIds: [], myVotes: [] },
      },
    });
    const message = {
      id: "m1",
      clientMessageId: "c1",
      authorId: "other",
      authorName: "Other",
      authorIsHost: false,
      body: "hi",
      isQuestion: false,
      votes: 0,
      answeredAt: null,
      createdAt: new Date(0).toISOString(),
    };
    api.subscriptions[0]!.onData({ id: "2000-1", data: { type: "chat.posted", message } });
    api.subscriptions[0]!.onData({ id: "2000-2", data: { type: "chat.posted", message } });
    expect(connection.getState().interaction).toMatchObject({ loaded: true, unread: 1 });
    expect([...connection.getState().interaction.messages.keys()]).toEqual(["m1"]);
    api.subscriptions[0]!.onError(networkError());
    await vi.advanceTimersByTimeAsync(8_000);
    expect(api.resumedAfter).toEqual([null, "2000-2"]);
    connection.markChatRead();
    expect(connection.getState().interaction.unread).toBe(0);
  });

  test("this user's leave at or below the seq already counted (a copy, a replay) keeps the chat; a newer one stops it", async () => {
    const connection = room({ userId: "me" });
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    const interaction = { messages: [], hasOlder: false, openQuestions: [], hands: [], mutedUserIds: [], myVotes: [] };
    const first = snapshot(5, ["me"]);
    const stream = () => api.subscriptions.at(-1)!;
    stream().onData({
      ...first,
      data: { ...(first.data as Extract<RoomEnvelope["data"], { type: "snapshot" }>), joined: true, interaction },
    });
    const left = (seq: number): ParticipantEvent => ({
      type: "left",
      userIds: ["me"],
      reason: "TIMEOUT",
      participantCount: 0,
      seq,
    });
    const rejoined = (seq: number): ParticipantEvent => ({
      type: "joined",
      participant: {
        userId: "me",
        name: "me",
        joinedAt: new Date(0).toISOString(),
        connections: 1,
        isInstructor: false,
      },
      participantCount: 1,
      seq,
    });
    // Part of the snapshot already: the server keeps sending the chat, so the tab keeps showing it.
    stream().onData(delta(left(5)));
    expect(connection.getState().interaction.loaded).toBe(true);

    // A resume from before a leave and a re-join the server has counted (its seq 7): both are old news.
    stream().onError(networkError());
    await vi.advanceTimersByTimeAsync(8_000);
    expect(api.subscriptions).toHaveLength(2);
    stream().onData({ id: nextId(), data: { type: "resumed", joined: true, seq: 7 } });
    stream().onData(delta(left(6)));
    stream().onData(delta(rejoined(7)));
    expect(connection.getState().interaction.loaded).toBe(true);
    expect(api.subscriptions).toHaveLength(2);

    stream().onData(delta(left(8)));
    expect(connection.getState().interaction.loaded).toBe(false);
  });

  test("dispose leaves if still in and stops everything", async () => {
    const connection = room();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    connection.dispose();
    await vi.advanceTimersByTimeAsync(5_000);
    // Only this tab: leaving the page is not the Leave button.
    expect(api.leaveInputs).toEqual([{ sessionId: expect.any(String), connectionId: "tab-aaaaaaaa" }]);
    expect(api.heartbeats).toBe(0);
    expect(api.unsubscribed).toBe(1);
  });
});
