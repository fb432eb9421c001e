import { afterAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";
import type { ParticipantEvent } from "./participant-events";

const { services, context, close } = createTestServices();
afterAll(close);

const connection = (n: number) => `tab-${n}-${"x".repeat(8)}`;
const activeRows = (sessionId: string) => services.db.sessionParticipant.count({ where: { sessionId, leftAt: null } });

describe("session.join", () => {
  test("200 concurrent joins by one user over 5 tabs: every call succeeds, one active row, 5 connections", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => caller.session.join({ sessionId: session.id, connectionId: connection(i % 5) })),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await activeRows(session.id)).toBe(1);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(1);
    expect((await caller.session.participantCount({ sessionId: session.id })).count).toBe(1);
    const list = await caller.session.participants({ sessionId: session.id });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ userId: student!.id, connections: 5, isInstructor: false });
  });

  test("1,000 distinct users joining at once: 1,000 active rows, count 1,000, no errors", async () => {
    const { session } = await createSessionFixture(services);
    const users = await insertUsers(services, 1_000);
    const results = await Promise.allSettled(
      users.map((user) => createCaller(context(asSessionUser(user))).session.join({ sessionId: session.id, connectionId: connection(1) })),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await activeRows(session.id)).toBe(1_000);
    expect((await createCaller(context(asSessionUser(users[0]!))).session.participantCount({ sessionId: session.id })).count).toBe(1_000);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(1_000);
  });

  test("a session that is not live refuses joins with SESSION_NOT_LIVE; an unknown one with SESSION_NOT_FOUND", async () => {
    const { session } = await createSessionFixture(services, "SCHEDULED");
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    await expect(caller.session.join({ sessionId: session.id, connectionId: connection(1) })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      cause: { reason: "SESSION_NOT_LIVE" },
    });
    await expect(caller.session.join({ sessionId: crypto.randomUUID(), connectionId: connection(1) })).rejects.toMatchObject({
      code: "NOT_FOUND",
      cause: { reason: "SESSION_NOT_FOUND" },
    });
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(0);
  });
});

describe("session.leave", () => {
  test("two tabs: leaving from one keeps the user; leaving from the other closes the row; twice is fine", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: session.id, connectionId: connection(1) });
    await caller.session.join({ sessionId: session.id, connectionId: connection(2) });

    expect(await caller.session.leave({ sessionId: session.id, connectionId: connection(1) })).toMatchObject({ left: false, remainingConnections: 1 });
    expect(await activeRows(session.id)).toBe(1);
    expect(await caller.session.leave({ sessionId: session.id, connectionId: connection(2) })).toMatchObject({ left: true, remainingConnections: 0 });
    expect(await activeRows(session.id)).toBe(0);
    expect(await caller.session.leave({ sessionId: session.id, connectionId: connection(2) })).toMatchObject({ left: false, remainingConnections: 0 });
    const row = await services.db.sessionParticipant.findFirstOrThrow({ where: { sessionId: session.id } });
    expect(row.leaveReason).toBe("LEFT");
  });

  test("leave then join again keeps the history: two rows, one active", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: session.id, connectionId: connection(1) });
    await caller.session.leave({ sessionId: session.id, connectionId: connection(1) });
    await caller.session.join({ sessionId: session.id, connectionId: connection(1) });
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(2);
    expect(await activeRows(session.id)).toBe(1);
  });

  test("tabs joining and leaving concurrently end consistent: a row is active exactly when a connection exists", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        caller.session.join({ sessionId: session.id, connectionId: connection(1) }),
        caller.session.leave({ sessionId: session.id, connectionId: connection(2) }),
        caller.session.join({ sessionId: session.id, connectionId: connection(2) }),
        caller.session.leave({ sessionId: session.id, connectionId: connection(1) }),
      ]);
      const connections = await services.redis.zcard(services.keys.presence(session.id));
      expect(await activeRows(session.id)).toBe(connections > 0 ? 1 : 0);
    }
  });
});

describe("session.heartbeat", () => {
  test("a connection the server no longer tracks answers rejoin; after re-joining the count is right", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: session.id, connectionId: connection(1) });
    expect(await caller.session.heartbeat({ sessionId: session.id, connectionId: connection(1) })).toMatchObject({
      status: "ok",
      heartbeatIntervalMs: services.config.timings.heartbeatIntervalMs,
    });
    // As if evicted while the tab was offline (or Redis restarted).
    await services.redis.del(services.keys.presence(session.id));
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: connection(1) })).status).toBe("rejoin");
    await caller.session.join({ sessionId: session.id, connectionId: connection(1) });
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: connection(1) })).status).toBe("ok");
    expect((await caller.session.participantCount({ sessionId: session.id })).count).toBe(1);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(1);
  });
});

describe("session.onParticipants", () => {
  test("sends a snapshot first, then join and leave deltas with counts", async () => {
    const { session } = await createSessionFixture(services);
    const [watcher, student] = await insertUsers(services, 2);
    await createCaller(context(asSessionUser(watcher!))).session.join({ sessionId: session.id, connectionId: connection(1) });
    const abort = new AbortController();
    const stream = await createCaller(context(asSessionUser(watcher!)), { signal: abort.signal }).session.onParticipants({ sessionId: session.id });
    const events: ParticipantEvent[] = [];
    const reading = (async () => {
      for await (const event of stream as AsyncIterable<ParticipantEvent>) {
        events.push(event);
        if (events.length === 3) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: session.id, connectionId: connection(2) });
    await caller.session.leave({ sessionId: session.id, connectionId: connection(2) });
    await reading;
    abort.abort();
    expect(events.map((event) => event.type)).toEqual(["snapshot", "joined", "left"]);
    expect(events[0]).toMatchObject({ participantCount: 1, participants: [{ userId: watcher!.id }] });
    expect(events[1]).toMatchObject({ participantCount: 2, participant: { userId: student!.id, connections: 1 } });
    expect(events[2]).toMatchObject({ participantCount: 1, userIds: [student!.id], reason: "LEFT" });
  });
});

describe("signing out", () => {
  test("leaves every connection of the user in every session", async () => {
    const first = await createSessionFixture(services);
    const second = await createSessionFixture(services);
    const [student, other] = await insertUsers(services, 2);
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: first.session.id, connectionId: connection(1) });
    await caller.session.join({ sessionId: first.session.id, connectionId: connection(2) });
    await caller.session.join({ sessionId: second.session.id, connectionId: connection(3) });
    await createCaller(context(asSessionUser(other!))).session.join({ sessionId: first.session.id, connectionId: connection(4) });

    await caller.auth.logout();
    expect(await activeRows(first.session.id)).toBe(1);
    expect(await activeRows(second.session.id)).toBe(0);
    expect(await services.redis.zrange(services.keys.presence(first.session.id), 0, -1)).toEqual([`${other!.id}:${connection(4)}`]);
  });
});
