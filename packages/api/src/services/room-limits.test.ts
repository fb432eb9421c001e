import { waitFor } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { callOverHttp } from "../testing/http";
import { createTestServices, fakeClock, insertUsers } from "../testing/services";
import { PARTICIPANTS_PAGE_SIZE } from "./participants";
import { addConnection, ensurePresenceBuilt, member } from "./presence";
import { evictStaleConnections } from "./reconcile";

// A frozen clock: no budget refills while a test runs (so every accepted count is exact) until the
// test moves it on.
const clock = fakeClock();
const { services, context, close } = createTestServices({}, { clock: clock.now });
afterAll(close);

const tab = (n: number) => `tab-${n}-${"x".repeat(8)}`;
const activeRows = (sessionId: string) => services.db.sessionParticipant.count({ where: { sessionId, leftAt: null } });
const indexOf = async (sessionId: string, userId: string) =>
  (await services.redis.hget(services.keys.presenceUsers(sessionId), userId))?.split(",") ?? [];

async function studentIn(status: "LIVE" | "SCHEDULED" = "LIVE") {
  const { session } = await createSessionFixture(services, status);
  const [student] = await insertUsers(services, 1);
  await enrollUsers(services, session.courseId, [student!]);
  return { session, student: student!, caller: createCaller(context(asSessionUser(student!))) };
}

type Settled = PromiseSettledResult<unknown>;
const refusals = (results: Settled[]) =>
  results.filter((result): result is PromiseRejectedResult => result.status === "rejected").map((r) => r.reason);

describe("room budgets", () => {
  test("opening the room stream is budgeted per user; someone the host removed cannot open it", async () => {
    const { session, student, caller } = await studentIn();
    const { burst } = services.config.roomRates.stream;
    const open = async () => {
      const stream = (await caller.session.onParticipants({ sessionId: session.id })) as AsyncIterable<unknown>;
      const events = stream[Symbol.asyncIterator]();
      try {
        await events.next();
      } finally {
        await events.return?.();
      }
    };
    for (let i = 0; i < burst; i++) await open();
    await expect(open()).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS", cause: { reason: "RATE_LIMITED" } });
    expect(services.events.stats().streams).toBe(0);

    const { session: other, instructor } = await createSessionFixture(services, "LIVE");
    await createCaller(context(instructor)).session.removeParticipant({ sessionId: other.id, userId: student.id });
    const another = createCaller(context(asSessionUser(student)));
    clock.advance(60_000);
    const stream = (await another.session.onParticipants({ sessionId: other.id })) as AsyncIterable<unknown>;
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: "FORBIDDEN",
      cause: { reason: "REMOVED_BY_HOST" },
    });
  });

  test("200 leaves by one user: exactly the leave burst is served, the rest answer 429 RATE_LIMITED with a retry hint", async () => {
    const { session, caller } = await studentIn();
    const { burst, perSecond } = services.config.roomRates.leave;
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => caller.session.leave({ sessionId: session.id, connectionId: tab(i) })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(burst);
    const refused = refusals(results);
    expect(refused).toHaveLength(200 - burst);
    for (const error of refused) {
      expect(error).toMatchObject({ code: "TOO_MANY_REQUESTS", cause: { reason: "RATE_LIMITED" } });
      expect((error as { cause: { retryAfterMs: number } }).cause.retryAfterMs).toBe(Math.ceil(1000 / perSecond));
    }
    // The bucket refills at its rate: one more leave after one token's time, not two.
    clock.advance(Math.ceil(1000 / perSecond));
    await expect(caller.session.leave({ sessionId: session.id, connectionId: tab(1) })).resolves.toMatchObject({
      left: false,
    });
    await expect(caller.session.leave({ sessionId: session.id, connectionId: tab(1) })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
  });

  test("over HTTP the answer is 429 with reason RATE_LIMITED and retryAfterMs in the error data", async () => {
    const { session, student } = await studentIn();
    const call = () =>
      callOverHttp({
        path: "session.participantCount",
        type: "query",
        input: { sessionId: session.id },
        context: () => context(asSessionUser(student)),
      });
    for (let i = 0; i < services.config.roomRates.participantCount.burst; i++) expect((await call()).status).toBe(200);
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.error?.data).toMatchObject({ reason: "RATE_LIMITED", retryAfterMs: expect.any(Number) });
    expect(refused.error!.data.retryAfterMs).toBeGreaterThan(0);
  });

  test("each procedure has its own budget per user: participants and joins are metered, another user is not affected", async () => {
    const { session, caller } = await studentIn();
    const [other] = await insertUsers(services, 1);
    await enrollUsers(services, session.courseId, [other!]);
    const { participants, join } = services.config.roomRates;
    const lists = await Promise.allSettled(
      Array.from({ length: participants.burst + 5 }, () => caller.session.participants({ sessionId: session.id })),
    );
    expect(refusals(lists)).toHaveLength(5);
    const joins = await Promise.allSettled(
      Array.from({ length: join.burst + 7 }, (_, i) =>
        caller.session.join({ sessionId: session.id, connectionId: tab(i % 3) }),
      ),
    );
    expect(refusals(joins)).toHaveLength(7);
    for (const error of [...refusals(lists), ...refusals(joins)])
      expect(error).toMatchObject({ cause: { reason: "RATE_LIMITED" } });
    // The refused joins added nothing: the accepted ones' three tabs.
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(3);
    const otherCaller = createCaller(context(asSessionUser(other!)));
    await expect(otherCaller.session.participants({ sessionId: session.id })).resolves.toMatchObject({
      items: expect.any(Array),
    });
  });

  test("heartbeats are metered per connection, in the heartbeat's own script; unknown connections only answer rejoin", async () => {
    const { session, caller } = await studentIn();
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });
    const { burst } = services.config.roomRates.heartbeat;
    const beats = await Promise.allSettled(
      Array.from({ length: burst + 4 }, () =>
        caller.session.heartbeat({ sessionId: session.id, connectionId: tab(1) }),
      ),
    );
    expect(beats.filter((beat) => beat.status === "fulfilled")).toHaveLength(burst);
    for (const error of refusals(beats)) expect(error).toMatchObject({ cause: { reason: "RATE_LIMITED" } });
    // The other tab has a budget of its own.
    await expect(caller.session.heartbeat({ sessionId: session.id, connectionId: tab(2) })).resolves.toMatchObject({
      status: "ok",
    });
    for (let i = 0; i < burst + 4; i++)
      expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(90 + i) })).status).toBe(
        "rejoin",
      );
  });
});

describe("at most MAX_TABS_PER_SESSION connections per user and session", () => {
  test("30 concurrent joins on 30 tabs by one user: exactly 10 connections stay, the 20 oldest answer replaced", async () => {
    const { session, student, caller } = await studentIn();
    const max = services.config.maxTabsPerSession;
    expect(max).toBe(10);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => caller.session.join({ sessionId: session.id, connectionId: tab(i) })),
    );
    expect(refusals(results)).toEqual([]);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(max);
    expect(await activeRows(session.id)).toBe(1);

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => caller.session.heartbeat({ sessionId: session.id, connectionId: tab(i) })),
    );
    const ok = answers.flatMap((answer, i) => (answer.status === "ok" ? [tab(i)] : []));
    const replaced = answers.filter((answer) => answer.status === "replaced");
    expect(ok).toHaveLength(max);
    expect(replaced).toHaveLength(30 - max);
    for (const answer of replaced) expect(answer).toMatchObject({ reason: "TOO_MANY_TABS" });
    // The survivors are exactly the user's index and set, and the list counts them.
    expect((await indexOf(session.id, student.id)).sort()).toEqual([...ok].sort());
    expect((await services.redis.zrange(services.keys.presence(session.id), 0, -1)).sort()).toEqual(
      ok.map((id) => member(student.id, id)).sort(),
    );
    const list = await caller.session.participants({ sessionId: session.id });
    expect(list.items).toMatchObject([{ userId: student.id, connections: max }]);
  });

  test("the 11th tab closes the oldest; a replaced tab that joins again on purpose closes the next oldest", async () => {
    const { session, student, caller } = await studentIn();
    for (let i = 1; i <= 11; i++) {
      const answer = await caller.session.join({ sessionId: session.id, connectionId: tab(i) });
      expect(answer.connections).toBe(Math.min(i, 10));
    }
    expect(await indexOf(session.id, student.id)).toEqual(Array.from({ length: 10 }, (_, i) => tab(i + 2)));
    expect(await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(1) })).toMatchObject({
      status: "replaced",
      reason: "TOO_MANY_TABS",
    });
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(2) })).status).toBe("ok");

    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(1) })).status).toBe("ok");
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(2) })).status).toBe("replaced");
    // Leaving every remaining tab closes the row: the replaced ones are not connections.
    for (let i = 3; i <= 11; i++) await caller.session.leave({ sessionId: session.id, connectionId: tab(i) });
    expect(await caller.session.leave({ sessionId: session.id, connectionId: tab(1) })).toMatchObject({ left: true });
    expect(await activeRows(session.id)).toBe(0);
  });
});

describe("leave and sign-out read the user's own index, never the whole session", () => {
  test("5,000 other connections: leave and sign-out answer right and touch only the user's indexed connections", async () => {
    const { session, student, caller } = await studentIn();
    const now = clock.now().getTime();
    await Promise.all(
      Array.from({ length: 5_000 }, (_, i) => addConnection(services, session.id, crypto.randomUUID(), tab(i), now)),
    );
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });
    expect(await indexOf(session.id, student.id)).toEqual([tab(1), tab(2)]);
    // A member of this user that no script wrote (so in no index): a scan of the session would count
    // it; reading the user's index does not.
    await services.redis.zadd(services.keys.presence(session.id), now, member(student.id, "stray-tab"));

    expect(await caller.session.leave({ sessionId: session.id, connectionId: tab(1) })).toMatchObject({
      left: false,
      remainingConnections: 1,
    });
    expect(await indexOf(session.id, student.id)).toEqual([tab(2)]);
    expect(await caller.session.leave({ sessionId: session.id, connectionId: tab(2) })).toMatchObject({
      left: true,
      remainingConnections: 0,
    });
    expect(await indexOf(session.id, student.id)).toEqual([]);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(5_001);

    // Sign-out removes the indexed connections (two sessions), nothing else.
    const second = (await createSessionFixture(services)).session;
    await caller.session.join({ sessionId: session.id, connectionId: tab(3) });
    await caller.session.join({ sessionId: second.id, connectionId: tab(4) });
    await caller.auth.logout();
    expect(await indexOf(session.id, student.id)).toEqual([]);
    expect(await indexOf(second.id, student.id)).toEqual([]);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(5_001);
    expect(await services.redis.zcard(services.keys.presence(second.id))).toBe(0);
    expect(await activeRows(session.id)).toBe(0);
  });

  test("the eviction sweep keeps the index: a stale tab leaves it, the fresh one stays", async () => {
    const { session, student, caller } = await studentIn();
    // Presence is already built (else the sweep first gives every active row a placeholder, indexed too).
    await ensurePresenceBuilt(services);
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    clock.advance(services.config.timings.presenceTimeoutMs + 1);
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });
    expect(await indexOf(session.id, student.id)).toEqual([tab(1), tab(2)]);
    const counts = await evictStaleConnections(services);
    expect(counts.connectionsEvicted).toBeGreaterThanOrEqual(1);
    expect(await indexOf(session.id, student.id)).toEqual([tab(2)]);
    expect(await caller.session.leave({ sessionId: session.id, connectionId: tab(2) })).toMatchObject({ left: true });
  });
});

describe("session.participants is paged", () => {
  test("1,203 participants: pages of 500, 500, 203 in (joinedAt, userId) order, each once; limit and cursor are checked", async () => {
    const { session, caller } = await studentIn();
    const users = await insertUsers(services, 1_202);
    // Three rows per joinedAt, so the order's tie-break (the user id) is exercised.
    await services.db.$executeRaw`
      INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
      SELECT ${session.id}::uuid, u.id, now() - interval '1 hour' + (n / 3) * interval '1 second', now()
      FROM unnest(${users.map((user) => user.id)}::uuid[]) WITH ORDINALITY AS u(id, n)`;
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });

    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await caller.session.participants({ sessionId: session.id, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages.map((page) => page.items.length)).toEqual([PARTICIPANTS_PAGE_SIZE, PARTICIPANTS_PAGE_SIZE, 203]);
    expect(pages.at(-1)!.nextCursor).toBe(null);
    const expected = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id, leftAt: null },
      orderBy: [{ joinedAt: "asc" }, { userId: "asc" }],
      select: { userId: true },
    });
    expect(pages.flatMap((page) => page.items.map((item) => item.userId))).toEqual(expected.map((row) => row.userId));
    expect(pages.at(-1)!.items.at(-1)).toMatchObject({ connections: 2 });

    const small = await caller.session.participants({ sessionId: session.id, limit: 2 });
    expect(small.items.map((item) => item.userId)).toEqual(expected.slice(0, 2).map((row) => row.userId));
    const next = await caller.session.participants({ sessionId: session.id, limit: 2, cursor: small.nextCursor! });
    expect(next.items.map((item) => item.userId)).toEqual(expected.slice(2, 4).map((row) => row.userId));
    for (const input of [{ limit: PARTICIPANTS_PAGE_SIZE + 1 }, { limit: 0 }, { cursor: "not-a-cursor" }])
      await expect(caller.session.participants({ sessionId: session.id, ...input })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
  });
});

describe("a join whose transaction fails leaves no connection behind", () => {
  test("the user is deleted while the join's insert waits for it: the join fails and its connection is taken back", async () => {
    const { session, student, caller } = await studentIn();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    // Another transaction holds the user's row, then deletes it: the join's insert waits on the row
    // (its foreign key check) after the connection was added, and then fails for real.
    const deleter = services.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${student.id}::uuid FOR UPDATE`;
        locked();
        await held;
        await tx.$executeRaw`DELETE FROM "User" WHERE id = ${student.id}::uuid`;
      },
      { timeout: 30_000 },
    );
    await lockTaken;
    const joining = caller.session.join({ sessionId: session.id, connectionId: tab(1) }).then(
      () => null,
      (error: unknown) => error,
    );
    await waitFor(
      async () => {
        const [row] = await services.db.$queryRaw<{ waiting: number }[]>`
          SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE NOT l.granted AND l.locktype <> 'advisory' AND a.datname = current_database()`;
        return row!.waiting > 0;
      },
      { what: "the join's insert to wait for the user's row" },
    );
    expect(await services.redis.zscore(services.keys.presence(session.id), member(student.id, tab(1)))).not.toBe(null);
    release();
    await deleter;
    expect(await joining).toBeInstanceOf(Error);
    expect(await services.redis.zscore(services.keys.presence(session.id), member(student.id, tab(1)))).toBe(null);
    expect(await indexOf(session.id, student.id)).toEqual([]);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(0);
  });
});
