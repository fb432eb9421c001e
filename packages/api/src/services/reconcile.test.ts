import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, insertParticipantsLastSeen } from "../testing/fixtures";
import { createTestServices, fakeClock, insertUsers } from "../testing/services";
import { RESTORED_CONNECTION, member } from "./presence";
import { EVICTION_BATCH, EVICTION_LANES, evictStaleConnections, reconcileParticipants } from "./reconcile";

const clock = fakeClock();
const { services, context, close } = createTestServices({ PRESENCE_TIMEOUT_SECONDS: "90" }, { clock: clock.now });
afterAll(close);
const TIMEOUT = 90_000;

const activeRows = (sessionId: string) => services.db.sessionParticipant.count({ where: { sessionId, leftAt: null } });
const join = (user: { id: string; role: SessionUser["role"] }, sessionId: string, tab: string) =>
  createCaller(context(asSessionUser(user))).session.join({ sessionId, connectionId: `${tab}-abcdefgh` });

/**
 * A live session whose 2.5 sweep batches of students were all last seen before the timeout (two
 * lanes' worth of work), presence counted as built.
 */
async function sessionOfStaleStudents() {
  await services.redis.set(services.keys.presenceMarker(), "1");
  const fixture = await createSessionFixture(services);
  const users = await insertUsers(services, EVICTION_BATCH * 2 + EVICTION_BATCH / 2);
  const staleSince = clock.now().getTime() - TIMEOUT - 60_000;
  await insertParticipantsLastSeen(
    services,
    fixture.session.id,
    users.map((user) => user.id),
    (i) => staleSince - i,
  );
  return { ...fixture, users, staleSince };
}

describe("heartbeats.evict", () => {
  test("evicts silent connections, closes rows left without one (TIMEOUT, lastSeenAt from Redis), keeps fresh ones", async () => {
    await services.redis.set(services.keys.presenceMarker(), "1");
    const { session } = await createSessionFixture(services);
    const [silent, twoTabs, active] = await insertUsers(services, 3);
    const joinedAt = clock.now().getTime();
    await join(silent!, session.id, "s1");
    await join(twoTabs!, session.id, "t1");
    await join(twoTabs!, session.id, "t2");
    await join(active!, session.id, "a1");

    clock.advance(TIMEOUT - 1_000);
    const heartbeatAt = clock.now().getTime();
    for (const [user, tab] of [
      [twoTabs!, "t2"],
      [active!, "a1"],
    ] as const) {
      await createCaller(context(asSessionUser(user))).session.heartbeat({
        sessionId: session.id,
        connectionId: `${tab}-abcdefgh`,
      });
    }
    clock.advance(2_000);

    const counts = await evictStaleConnections(services);
    expect(counts).toMatchObject({ connectionsEvicted: 2, participantsTimedOut: 1, presenceRestored: 0 });
    expect(await activeRows(session.id)).toBe(2);
    const closed = await services.db.sessionParticipant.findFirstOrThrow({
      where: { sessionId: session.id, userId: silent!.id },
    });
    expect(closed).toMatchObject({ leaveReason: "TIMEOUT" });
    expect(closed.lastSeenAt.getTime()).toBe(joinedAt);
    const members = await services.redis.zrange(services.keys.presence(session.id), 0, -1);
    expect(members.sort()).toEqual([member(twoTabs!.id, "t2-abcdefgh"), member(active!.id, "a1-abcdefgh")].sort());
    expect(heartbeatAt).toBeLessThan(clock.now().getTime());

    // Running again finds nothing: idempotent.
    expect(await evictStaleConnections(services)).toMatchObject({ connectionsEvicted: 0, participantsTimedOut: 0 });
  });

  test("students re-joining while both lanes sweep 2.5 batches: each keeps a row and a connection, everyone else is closed, rows and connections agree", async () => {
    expect(EVICTION_LANES).toBeGreaterThan(1);
    const { session, users } = await sessionOfStaleStudents();
    // One in fifty comes back with a new tab, one every 2 ms, over the sweep: some before their
    // batch is removed, some between its removal and its close, some after.
    const rejoiners = users.filter((_, i) => i % 50 === 0);
    const [counts] = await Promise.all([
      evictStaleConnections(services),
      ...rejoiners.map(async (user, i) => {
        await sleep(i * 2);
        await join(user, session.id, `back${i}`);
      }),
    ]);

    const rows = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id },
      select: { userId: true, leftAt: true, leaveReason: true },
    });
    const active = rows.filter((row) => row.leftAt === null).map((row) => row.userId);
    const connected = (await services.redis.zrange(services.keys.presence(session.id), 0, -1)).map((value) =>
      value.slice(0, value.indexOf(":")),
    );
    const back = rejoiners.map((user) => user.id).sort();
    expect(active.sort()).toEqual(back);
    expect(connected.sort()).toEqual(back);
    // Every stale connection was removed once; a re-joiner's row was either kept or closed and opened again.
    expect(counts.connectionsEvicted).toBe(users.length);
    const timedOut = rows.filter((row) => row.leaveReason === "TIMEOUT").length;
    expect(counts.participantsTimedOut).toBe(timedOut);
    expect(timedOut).toBeGreaterThanOrEqual(users.length - rejoiners.length);
    expect(rows.filter((row) => row.leftAt !== null && row.leaveReason !== "TIMEOUT")).toEqual([]);
  }, 60_000);

  test("the host ends the session while both lanes sweep: both finish, every row is closed (TIMEOUT or ENDED), no connection is left", async () => {
    const { session, instructor, users } = await sessionOfStaleStudents();
    const [counts, ended] = await Promise.all([
      evictStaleConnections(services),
      sleep(20).then(() => createCaller(context(instructor)).session.end({ sessionId: session.id })),
    ]);

    expect(ended.status).toBe("ENDED");
    const rows = await services.db.sessionParticipant.groupBy({
      by: ["leaveReason"],
      where: { sessionId: session.id },
      _count: true,
    });
    const byReason = Object.fromEntries(rows.map((row) => [String(row.leaveReason), row._count]));
    expect(Object.keys(byReason).every((reason) => reason === "TIMEOUT" || reason === "ENDED")).toBe(true);
    expect((byReason.TIMEOUT ?? 0) + (byReason.ENDED ?? 0)).toBe(users.length);
    expect(byReason.TIMEOUT ?? 0).toBe(counts.participantsTimedOut);
    expect(await services.redis.zcard(services.keys.presence(session.id))).toBe(0);
  }, 60_000);

  test("a lane that fails: the sweep still closes and announces what it could, sweeps the other sessions, then fails with that error", async () => {
    const { session: big, users, staleSince } = await sessionOfStaleStudents();
    const { session: small } = await createSessionFixture(services);
    await insertParticipantsLastSeen(
      services,
      small.id,
      users.slice(0, 3).map((user) => user.id),
      () => staleSince,
    );
    let bigBatches = 0;
    const beforeClose = async (sessionId: string) => {
      if (sessionId === big.id && ++bigBatches === 2) throw new Error("lane failed");
    };

    await expect(evictStaleConnections(services, { beforeClose })).rejects.toThrow("lane failed");

    const timedOut = await services.db.sessionParticipant.findMany({
      where: { sessionId: big.id, leaveReason: "TIMEOUT" },
      select: { userId: true },
    });
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut.length).toBeLessThan(users.length);
    // One `left` event names exactly the users whose rows were closed.
    const entries = await services.redis.xrange(services.keys.roomStream(big.id), "-", "+");
    const left = entries
      .map(([, fields]) => JSON.parse(fields[1]!) as { events?: { type: string; userIds?: string[] }[] })
      .flatMap((entry) => entry.events ?? [])
      .filter((event) => event.type === "left");
    expect(left).toHaveLength(1);
    expect(left[0]!.userIds!.sort()).toEqual(timedOut.map((row) => row.userId).sort());
    // The other session was swept all the same.
    expect(await activeRows(small.id)).toBe(0);
  }, 60_000);

  test("after Redis lost presence, it is rebuilt with fresh timestamps before any eviction: nobody is dropped", async () => {
    const { session } = await createSessionFixture(services);
    const users = await insertUsers(services, 3);
    for (const [i, user] of users.entries()) await join(user, session.id, `r${i}`);
    clock.advance(TIMEOUT * 2);
    // A Redis restart: presence and the marker are gone.
    await services.redis.del(services.keys.presence(session.id), services.keys.presenceMarker());

    const counts = await evictStaleConnections(services);
    expect(counts.presenceRestored).toBeGreaterThanOrEqual(3);
    expect(counts.participantsTimedOut).toBe(0);
    expect(await activeRows(session.id)).toBe(3);
    expect(await services.redis.zrange(services.keys.presence(session.id), 0, -1)).toEqual(
      expect.arrayContaining(users.map((user) => member(user.id, RESTORED_CONNECTION))),
    );
    // Whoever does not come back within a full timeout is then evicted.
    clock.advance(TIMEOUT + 1_000);
    expect((await evictStaleConnections(services)).participantsTimedOut).toBeGreaterThanOrEqual(3);
    expect(await activeRows(session.id)).toBe(0);
  });
});

describe("reconcile (participants.dedupe, session.cleanupParticipants)", () => {
  test("fixes each kind of drift, reports it, and finds nothing the second time", async () => {
    await services.redis.set(services.keys.presenceMarker(), "1");
    const { session, instructor } = await createSessionFixture(services);
    const [legacy, ghost, orphan, fine] = await insertUsers(services, 4);
    await join(fine!, session.id, "f1");
    // Legacy duplicates: two active rows for one user, only possible without the partial index.
    await services.db.$executeRawUnsafe(`DROP INDEX "SessionParticipant_active_key"`);
    const earlier = new Date(clock.now().getTime() - 5_000);
    await services.db.sessionParticipant.createMany({
      data: [
        { sessionId: session.id, userId: legacy!.id, joinedAt: earlier, lastSeenAt: clock.now() },
        { sessionId: session.id, userId: legacy!.id, joinedAt: clock.now(), lastSeenAt: clock.now() },
      ],
    });
    await services.redis.zadd(
      services.keys.presence(session.id),
      clock.now().getTime(),
      member(legacy!.id, "l1-abcdefgh"),
    );
    // A row whose connection is gone, older than the timeout.
    await services.db.sessionParticipant.create({
      data: {
        sessionId: session.id,
        userId: ghost!.id,
        joinedAt: new Date(clock.now().getTime() - TIMEOUT * 2),
        lastSeenAt: new Date(clock.now().getTime() - TIMEOUT * 2),
      },
    });
    // A connection without any active row.
    await services.redis.zadd(
      services.keys.presence(session.id),
      clock.now().getTime(),
      member(orphan!.id, "o1-abcdefgh"),
    );

    const counts = await createCaller(context(instructor)).session.cleanupParticipants({ sessionId: session.id });
    expect(counts).toMatchObject({
      duplicatesClosed: 1,
      disconnectedRowsClosed: 1,
      orphanConnectionsDropped: 1,
      endedSessionRowsClosed: 0,
    });
    const active = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id, leftAt: null },
      orderBy: { joinedAt: "asc" },
    });
    expect(active.map((row) => row.userId).sort()).toEqual([legacy!.id, fine!.id].sort());
    expect(active.find((row) => row.userId === legacy!.id)?.joinedAt.getTime()).toBe(earlier.getTime());
    await services.db.$executeRawUnsafe(
      `CREATE UNIQUE INDEX "SessionParticipant_active_key" ON "SessionParticipant"("sessionId", "userId") WHERE "leftAt" IS NULL`,
    );

    expect(await reconcileParticipants(services, { sessionId: session.id })).toMatchObject({
      duplicatesClosed: 0,
      disconnectedRowsClosed: 0,
      orphanConnectionsDropped: 0,
    });
  });
});
