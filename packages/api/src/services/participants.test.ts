import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";
import { participantsChannel, type ParticipantEvent } from "./participant-events";
import { MAX_JOIN_BATCH } from "./participants";

const { services, context, close } = createTestServices();
afterAll(close);

// A second services container on the same database and Redis, as another instance would have. Its
// clock ticks one millisecond per reading and starts a day ahead: every join transaction reads the
// clock once, so a row's joinedAt tells which transaction (and which container) committed it.
const dayAhead = Date.now() + 86_400_000;
let ticks = 0;
const other = createTestServices({}, { clock: () => new Date(dayAhead + ticks++) });
afterAll(other.close);

const connection = (n: number) => `tab-${n}-${"x".repeat(8)}`;
const activeRows = (sessionId: string) => services.db.sessionParticipant.count({ where: { sessionId, leftAt: null } });

describe("session.join", () => {
  test("200 concurrent joins by one user over 5 tabs: every call succeeds, one active row, 5 connections", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        caller.session.join({ sessionId: session.id, connectionId: connection(i % 5) }),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await activeRows(session.id)).toBe(1);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(1);
    expect((await caller.session.participantCount({ sessionId: session.id })).count).toBe(1);
    const list = await caller.session.participants({ sessionId: session.id });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ userId: student!.id, connections: 5, isInstructor: false });
  });

  test("1,000 distinct users joining at once: 1,000 active rows, count 1,000, no errors", async () => {
    const { session } = await createSessionFixture(services);
    const users = await insertUsers(services, 1_000);
    const results = await Promise.allSettled(
      users.map((user) =>
        createCaller(context(asSessionUser(user))).session.join({ sessionId: session.id, connectionId: connection(1) }),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await activeRows(session.id)).toBe(1_000);
    expect(
      (await createCaller(context(asSessionUser(users[0]!))).session.participantCount({ sessionId: session.id })).count,
    ).toBe(1_000);
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
    await expect(
      caller.session.join({ sessionId: crypto.randomUUID(), connectionId: connection(1) }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      cause: { reason: "SESSION_NOT_FOUND" },
    });
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(0);
  });
});

type JoinAnswer = Awaited<ReturnType<ReturnType<typeof createCaller>["session"]["join"]>>;

/** Collects a session's participant events (subscribed before returning) until `count` arrived. */
async function collectEvents(sessionId: string, count: number) {
  const abort = new AbortController();
  const stream = await services.events.subscribe<ParticipantEvent>(participantsChannel(sessionId), abort.signal);
  const events: ParticipantEvent[] = [];
  const done = (async () => {
    for await (const event of stream) {
      events.push(event);
      if (events.length === count) break;
    }
  })();
  return {
    events: async () => {
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      abort.abort();
      return events;
    },
  };
}

describe("session.join, group-committed", () => {
  test("500 concurrent joins of 250 users × 2 tabs: 250 active rows, 500 connections, every caller answered, one event each", async () => {
    const { session } = await createSessionFixture(services);
    const users = await insertUsers(services, 250);
    const watching = await collectEvents(session.id, 500);
    // Both tabs of a user one after the other: most pairs land in the same batch (one row for both),
    // the first user's pair in two (the first join runs alone).
    const calls = users.flatMap((user) => [1, 2].map((tab) => ({ user, tab })));
    const results = await Promise.allSettled(
      calls.map(({ user, tab }) =>
        createCaller(context(asSessionUser(user))).session.join({
          sessionId: session.id,
          connectionId: connection(tab),
        }),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    const answers = results.map((result) => (result as PromiseFulfilledResult<JoinAnswer>).value);

    expect(await activeRows(session.id)).toBe(250);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(250);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(500);
    const rows = await services.db.sessionParticipant.findMany({ where: { sessionId: session.id } });
    const rowOf = new Map(rows.map((row) => [row.userId, row]));
    users.forEach((user, i) => {
      const [first, second] = [answers[2 * i]!, answers[2 * i + 1]!];
      // Both tabs got the one row; the user's later answer counts both tabs, the earlier one 1 or 2.
      expect(first.joinedAt).toEqual(rowOf.get(user.id)!.joinedAt);
      expect(second.joinedAt).toEqual(rowOf.get(user.id)!.joinedAt);
      expect(second.connections).toBe(2);
      expect([1, 2]).toContain(first.connections);
    });
    // Counts only grow during a storm of joins, and the largest answered is the final count.
    const counts = answers.map((answer) => answer.participantCount);
    expect(Math.max(...counts)).toBe(250);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    for (const answer of answers) expect(answer.heartbeatIntervalMs).toBe(services.config.timings.heartbeatIntervalMs);
    expect(
      (
        await createCaller(context(asSessionUser(users[0]!))).session.participants({ sessionId: session.id })
      ).items.every((view) => view.connections === 2),
    ).toBe(true);

    // One event per caller, consecutive sequence numbers; each user "joined" exactly once.
    const events = await watching.events();
    expect(events).toHaveLength(500);
    expect(events.map((event) => event.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    const joinedEvents = events.filter(
      (event): event is Extract<ParticipantEvent, { participant: unknown }> => event.type === "joined",
    );
    expect(new Set(joinedEvents.map((event) => event.participant.userId)).size).toBe(250);
    expect(joinedEvents).toHaveLength(250);
    expect(events.filter((event) => event.type === "updated")).toHaveLength(250);
    expect(Math.max(...events.map((event) => ("participantCount" in event ? event.participantCount : 0)))).toBe(250);
  });

  test("a storm commits in a few transactions (one clock reading each), none larger than the batch limit", async () => {
    const { session } = await createSessionFixture(other.services);
    const users = await insertUsers(other.services, 1_000);
    const results = await Promise.allSettled(
      users.map((user) =>
        createCaller(other.context(asSessionUser(user))).session.join({
          sessionId: session.id,
          connectionId: connection(1),
        }),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect(await activeRows(session.id)).toBe(1_000);
    const perTransaction = await services.db.sessionParticipant.groupBy({
      by: ["joinedAt"],
      where: { sessionId: session.id },
      _count: { _all: true },
    });
    // The first join runs alone; the other 999 arrive while it is in flight: ≥ 3 transactions (the
    // limit splits them), not 1,000. Unbatched, every join would read the clock itself.
    expect(perTransaction.length).toBeGreaterThanOrEqual(3);
    expect(perTransaction.length).toBeLessThanOrEqual(20);
    expect(Math.max(...perTransaction.map((group) => group._count._all))).toBeLessThanOrEqual(MAX_JOIN_BATCH);
    expect(Math.min(...perTransaction.map((group) => group._count._all))).toBe(1);
  });

  test("two services containers (instances) batch separately: each join commits with its own container's clock", async () => {
    const { session } = await createSessionFixture(services);
    const users = await insertUsers(services, 200);
    const viaOther = new Set(users.filter((_, i) => i % 2 === 1).map((user) => user.id));
    const startedAt = Date.now();
    const results = await Promise.allSettled(
      users.map((user) => {
        const harness = viaOther.has(user.id) ? other : { context };
        return createCaller(harness.context(asSessionUser(user))).session.join({
          sessionId: session.id,
          connectionId: connection(1),
        });
      }),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    const rows = await services.db.sessionParticipant.findMany({ where: { sessionId: session.id, leftAt: null } });
    expect(rows).toHaveLength(200);
    for (const row of rows) {
      if (viaOther.has(row.userId)) expect(row.joinedAt.getTime()).toBeGreaterThanOrEqual(dayAhead);
      else expect(row.joinedAt.getTime()).toBeLessThan(startedAt + 60_000);
    }
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(200);
  });

  for (const finish of ["end", "cancel"] as const) {
    test(`a batch in flight when the session is ${finish === "end" ? "ended" : "cancelled"}: each caller joined (row closed ENDED) or got SESSION_NOT_LIVE; no connection is left`, async () => {
      const { session, instructor } = await createSessionFixture(services);
      const users = await insertUsers(services, 300);
      // Another transaction holds the last user's participant lock, so the batch holding that user
      // stops at its locks — with the session still live and its Redis adds not yet done.
      const blocked = users.at(-1)!;
      let unblock!: () => void;
      const held = new Promise<void>((resolve) => (unblock = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const blocker = services.db.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`participant:${session.id}:${blocked.id}`}, 0))`;
          locked();
          await held;
        },
        { timeout: 30_000 },
      );
      await lockTaken;

      const outcomes = users.flatMap((user) =>
        [1, 2].map((tab) =>
          createCaller(context(asSessionUser(user)))
            .session.join({ sessionId: session.id, connectionId: connection(tab) })
            .then(
              () => ({ userId: user.id, outcome: "joined" }),
              (error: { cause?: { reason?: string } }) => ({
                userId: user.id,
                outcome: error.cause?.reason ?? String(error),
              }),
            ),
        ),
      );
      // The first join ran alone, the next 500 together, and the rest (with the blocked user) wait
      // for the lock: end the session now, then let that batch go on.
      await waitFor(
        async () => {
          const [row] = await services.db.$queryRaw<{ waiting: number }[]>`
            SELECT count(*)::int AS waiting FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
          return row!.waiting > 0;
        },
        { what: "the batch to wait for the held lock" },
      );
      // Cancelling a session that is already live ends it, like End.
      expect((await createCaller(context(instructor)).session[finish]({ sessionId: session.id })).status).toBe("ENDED");
      unblock();
      await blocker;
      const settled = await Promise.all(outcomes);

      expect(new Set(settled.map((entry) => entry.outcome))).toEqual(new Set(["joined", "SESSION_NOT_LIVE"]));
      expect(settled.filter((entry) => entry.userId === blocked.id).map((entry) => entry.outcome)).toEqual([
        "SESSION_NOT_LIVE",
        "SESSION_NOT_LIVE",
      ]);
      const joinedUsers = new Set(settled.filter((entry) => entry.outcome === "joined").map((entry) => entry.userId));
      expect(await activeRows(session.id)).toBe(0);
      const rows = await services.db.sessionParticipant.findMany({ where: { sessionId: session.id } });
      expect(rows).toHaveLength(joinedUsers.size);
      for (const row of rows) {
        expect(joinedUsers.has(row.userId)).toBe(true);
        expect(row.leaveReason).toBe("ENDED");
      }
      // The refused batch took back its Redis adds, made after end had cleared presence.
      expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(0);
      expect(await services.redis.hlen(services.keys.presenceUsers(session.id))).toBe(0);
    });
  }

  test("a refused batch: every caller gets its own error with the single join's code and reason, and no connection stays", async () => {
    const scheduled = (await createSessionFixture(services, "SCHEDULED")).session;
    const unknown = crypto.randomUUID();
    const users = await insertUsers(services, 60);
    const attempts = users.map((user, i) =>
      createCaller(context(asSessionUser(user)))
        .session.join({ sessionId: i % 2 === 0 ? scheduled.id : unknown, connectionId: connection(i) })
        .then(
          () => null,
          (error: unknown) => error,
        ),
    );
    const errors = await Promise.all(attempts);
    errors.forEach((error, i) => {
      if (i % 2 === 0)
        expect(error).toMatchObject({
          code: "PRECONDITION_FAILED",
          cause: { reason: "SESSION_NOT_LIVE" },
          message: "This session is scheduled, not live.",
        });
      else expect(error).toMatchObject({ code: "NOT_FOUND", cause: { reason: "SESSION_NOT_FOUND" } });
    });
    expect(new Set(errors).size).toBe(60);
    expect(await services.redis.zcard(services.keys.presence(scheduled.id))).toBe(0);
    expect(await services.redis.hlen(services.keys.presenceUsers(scheduled.id))).toBe(0);
    expect(await services.redis.zcard(services.keys.presence(unknown))).toBe(0);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: scheduled.id } })).toBe(0);
  });

  test("a retry of the same tab in the same batch counts one connection", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => caller.session.join({ sessionId: session.id, connectionId: connection(7) })),
    );
    expect(answers.every((answer) => answer.connections === 1 && answer.participantCount === 1)).toBe(true);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(1);
    expect(await activeRows(session.id)).toBe(1);
  });
});

describe("session.leave", () => {
  test("two tabs: leaving from one keeps the user; leaving from the other closes the row; twice is fine", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: session.id, connectionId: connection(1) });
    await caller.session.join({ sessionId: session.id, connectionId: connection(2) });

    expect(await caller.session.leave({ sessionId: session.id, connectionId: connection(1) })).toMatchObject({
      left: false,
      remainingConnections: 1,
    });
    expect(await activeRows(session.id)).toBe(1);
    expect(await caller.session.leave({ sessionId: session.id, connectionId: connection(2) })).toMatchObject({
      left: true,
      remainingConnections: 0,
    });
    expect(await activeRows(session.id)).toBe(0);
    expect(await caller.session.leave({ sessionId: session.id, connectionId: connection(2) })).toMatchObject({
      left: false,
      remainingConnections: 0,
    });
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
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: connection(1) })).status).toBe(
      "rejoin",
    );
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
    await createCaller(context(asSessionUser(watcher!))).session.join({
      sessionId: session.id,
      connectionId: connection(1),
    });
    const abort = new AbortController();
    const stream = await createCaller(context(asSessionUser(watcher!)), {
      signal: abort.signal,
    }).session.onParticipants({ sessionId: session.id });
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
    await createCaller(context(asSessionUser(other!))).session.join({
      sessionId: first.session.id,
      connectionId: connection(4),
    });

    await caller.auth.logout();
    expect(await activeRows(first.session.id)).toBe(1);
    expect(await activeRows(second.session.id)).toBe(0);
    expect(await services.redis.zrange(services.keys.presence(first.session.id), 0, -1)).toEqual([
      `${other!.id}:${connection(4)}`,
    ]);
  });
});
