import { JobName, closeServices, createCaller, evictStaleConnections, type JobCounts } from "@livehall/api";
import { asSessionUser, createSessionFixture, createTestServices, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";
import {
  heartbeatLoop,
  recordRuns,
  startTestWorker,
  stopAll,
  total,
  workerConfig,
  workerServices,
} from "./test-support";
import type { RunningWorker } from "./worker";

// The API side (join, heartbeat) on this file's database and Redis prefix. Keepers beat every 250 ms
// (the production interval is 30 s): a heartbeat budget to match.
const api = createTestServices({ ROOM_RATE_HEARTBEAT_PER_SECOND: "20" });
afterAll(api.close);

const started: RunningWorker[] = [];
afterEach(() => stopAll(started));

type User = { id: string; role: "STUDENT" | "INSTRUCTOR" | "ADMIN" };
const tab = (name: string) => `${name}-tab-0001`;
const caller = (user: User) => createCaller(api.context(asSessionUser(user)));
const join = (user: User, sessionId: string, connection: string) =>
  caller(user).session.join({ sessionId, connectionId: tab(connection) });
const heartbeat = (user: User, sessionId: string, connection: string) =>
  caller(user).session.heartbeat({ sessionId, connectionId: tab(connection) });
const row = (sessionId: string, userId: string) =>
  api.services.db.sessionParticipant.findFirstOrThrow({ where: { sessionId, userId }, orderBy: { joinedAt: "desc" } });
const sixUsers = async () => (await insertUsers(api.services, 6)) as unknown as [User, User, User, User, User, User];
const members = (sessionId: string) => api.services.redis.zrange(api.services.keys.presence(sessionId), 0, -1);

describe("heartbeats.evict on its schedule", () => {
  test("closes exactly the silent participants (TIMEOUT, lastSeenAt from Redis); heartbeating ones stay", async () => {
    const timeoutMs = 2_000;
    const config = workerConfig({
      PRESENCE_TIMEOUT_SECONDS: String(timeoutMs / 1000),
      HEARTBEATS_EVICT_EVERY_SECONDS: "0.25",
      TOKENS_EXPIRE_EVERY_SECONDS: "3600",
      PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
    });
    const services = await workerServices(config);
    const { handlers, runs } = recordRuns(createJobHandlers(services));
    // Presence counts as built, as in a running system (no placeholders).
    await api.services.redis.set(api.services.keys.presenceMarker(), String(Date.now()));

    const { session } = await createSessionFixture(api.services);
    const [keeperA, keeperB, twoTabs, silentA, silentB, silentC] = await sixUsers();
    const silent = [silentA, silentB, silentC];
    await Promise.all([
      join(keeperA, session.id, "ka"),
      join(keeperB, session.id, "kb"),
      join(twoTabs, session.id, "t1"),
      join(twoTabs, session.id, "t2"),
      ...silent.map((user, i) => join(user, session.id, `s${i}`)),
    ]);
    // Keepers heartbeat every 250 ms (the second tab of twoTabs is closed silently).
    const beats = heartbeatLoop(
      [
        [keeperA, "ka"],
        [keeperB, "kb"],
        [twoTabs, "t1"],
      ].map(([user, connection]) => ({
        heartbeat: () => heartbeat(user as User, session.id, connection as string),
        join: () => join(user as User, session.id, connection as string),
      })),
      250,
    );
    try {
      // The worker starts once the keepers beat, so joins slowed down by a busy machine cannot race
      // the 2 s timeout; the silent ones were last seen at their join.
      await waitFor(() => beats.stats.ok >= 3, { what: "a first round of heartbeats" });
      await startTestWorker(config, handlers, started);
      await waitFor(
        async () =>
          (await api.services.db.sessionParticipant.count({
            where: { sessionId: session.id, leaveReason: "TIMEOUT" },
          })) === 3,
        { timeoutMs: 10_000, what: "the silent participants to be timed out" },
      );
      // Two more complete sweeps while the keepers beat: they are never evicted.
      const closedAt = Date.now();
      await waitFor(
        () => runs.filter((run) => run.name === JobName.heartbeatsEvict && run.startedAt > closedAt).length >= 2,
        { what: "two more sweeps" },
      );
    } finally {
      await beats.stop();
    }
    await stopAll(started);

    expect(beats.stats).toMatchObject({ rejoins: 0, errors: 0 });
    expect(beats.stats.ok).toBe(beats.stats.beats);
    for (const user of silent) {
      const closed = await row(session.id, user.id);
      expect(closed.leaveReason).toBe("TIMEOUT");
      // The connection's last heartbeat (here: the join) becomes lastSeenAt; it was closed after the timeout.
      expect(closed.lastSeenAt.getTime()).toBe(closed.joinedAt.getTime());
      expect(closed.leftAt!.getTime() - closed.lastSeenAt.getTime()).toBeGreaterThanOrEqual(timeoutMs);
    }
    const active = await api.services.db.sessionParticipant.findMany({
      where: { sessionId: session.id, leftAt: null },
    });
    expect(active.map((r) => r.userId).sort()).toEqual([keeperA.id, keeperB.id, twoTabs.id].sort());
    expect((await members(session.id)).sort()).toEqual(
      [`${keeperA.id}:${tab("ka")}`, `${keeperB.id}:${tab("kb")}`, `${twoTabs.id}:${tab("t1")}`].sort(),
    );
    // Done by the scheduled job: 4 connections (3 silent users + twoTabs' closed tab), 3 participants.
    expect(total(runs, JobName.heartbeatsEvict, "connectionsEvicted")).toBe(4);
    expect(total(runs, JobName.heartbeatsEvict, "participantsTimedOut")).toBe(3);
    await closeServices(services);
  });
});

describe("heartbeats.evict under forced interleaving", () => {
  test("a tab that re-joins between the Redis eviction and the Postgres close keeps its row; a heartbeat during the sweep keeps its connection", async () => {
    const config = workerConfig({
      PRESENCE_TIMEOUT_SECONDS: "30",
      HEARTBEATS_EVICT_EVERY_SECONDS: "0.2",
      TOKENS_EXPIRE_EVERY_SECONDS: "3600",
      PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
      WORKER_CONCURRENCY: "1",
    });
    const services = await workerServices(config);
    const [sessionX, sessionY] = [
      (await createSessionFixture(api.services)).session,
      (await createSessionFixture(api.services)).session,
    ];
    const [rejoiner, goneX, lateX, stayX, goneY, lateY] = await sixUsers();
    const late = new Map([
      [sessionX.id, lateX],
      [sessionY.id, lateY],
    ]);

    // What the hook saw in the gap after the Redis removal and before the Postgres close.
    const gap: {
      sessionId: string;
      userIds: string[];
      rejoinerHeartbeat?: string;
      rejoinerRowActive?: boolean;
      lateHeartbeat?: string;
      lateSessionId?: string;
    }[] = [];
    const beforeClose = async (sessionId: string, userIds: string[]) => {
      if (sessionId !== sessionX.id && sessionId !== sessionY.id) return;
      const seen: (typeof gap)[number] = { sessionId, userIds: [...userIds].sort() };
      if (gap.length === 0) {
        // The sweep has not reached the other session yet: its late user heartbeats now, while its
        // connection is still stale in Redis. The atomic removal must then leave it alone.
        const other = sessionId === sessionX.id ? sessionY.id : sessionX.id;
        seen.lateSessionId = other;
        seen.lateHeartbeat = (await heartbeat(late.get(other)!, other, `late-${other.slice(0, 4)}`)).status;
      }
      if (userIds.includes(rejoiner.id)) {
        // The rejoiner's tab was just evicted: its heartbeat says "rejoin", its row is still active,
        // and it re-joins right now — before closeRowsWithoutConnections runs.
        seen.rejoinerHeartbeat = (await heartbeat(rejoiner, sessionX.id, "rejoiner")).status;
        seen.rejoinerRowActive =
          (await api.services.db.sessionParticipant.count({
            where: { sessionId: sessionX.id, userId: rejoiner.id, leftAt: null },
          })) === 1;
        await join(rejoiner, sessionX.id, "rejoiner");
      }
      gap.push(seen);
    };
    const { handlers, runs } = recordRuns({
      ...createJobHandlers(services),
      [JobName.heartbeatsEvict]: async () => ({ ...(await evictStaleConnections(services, { beforeClose })) }),
    });
    await startTestWorker(config, handlers, started);
    await waitFor(async () => (await api.services.redis.exists(api.services.keys.presenceMarker())) === 1, {
      what: "presence marker",
    });

    await join(rejoiner, sessionX.id, "rejoiner");
    await join(goneX, sessionX.id, "gone");
    await join(lateX, sessionX.id, `late-${sessionX.id.slice(0, 4)}`);
    await join(stayX, sessionX.id, "stay");
    await join(goneY, sessionY.id, "gone");
    await join(lateY, sessionY.id, `late-${sessionY.id.slice(0, 4)}`);
    const rejoinerJoinedAt = (await row(sessionX.id, rejoiner.id)).joinedAt;

    // Silence, all at once (one MULTI): these connections were last seen a minute ago.
    const silentSince = Date.now() - 60_000;
    const staleMembers: [string, string][] = [
      [sessionX.id, `${rejoiner.id}:${tab("rejoiner")}`],
      [sessionX.id, `${goneX.id}:${tab("gone")}`],
      [sessionX.id, `${lateX.id}:${tab(`late-${sessionX.id.slice(0, 4)}`)}`],
      [sessionY.id, `${goneY.id}:${tab("gone")}`],
      [sessionY.id, `${lateY.id}:${tab(`late-${sessionY.id.slice(0, 4)}`)}`],
    ];
    const multi = api.services.redis.multi();
    for (const [sessionId, value] of staleMembers)
      multi.zadd(api.services.keys.presence(sessionId), "XX", silentSince, value);
    await multi.exec();

    await waitFor(
      () => runs.some((run) => run.name === JobName.heartbeatsEvict && (run.counts.connectionsEvicted ?? 0) > 0),
      { what: "the sweep" },
    );
    await stopAll(started);

    // One sweep handled both sessions: the hook ran once per session, the first time in either.
    expect(gap).toHaveLength(2);
    const [first, second] = gap as [(typeof gap)[number], (typeof gap)[number]];
    expect(second.sessionId).toBe(first.lateSessionId);
    expect(first.lateHeartbeat).toBe("ok");
    const lateKept = late.get(first.lateSessionId!)!;
    const lateEvicted = late.get(first.sessionId)!;
    const gapOfX = gap.find((seen) => seen.sessionId === sessionX.id)!;
    expect(gapOfX).toMatchObject({ rejoinerHeartbeat: "rejoin", rejoinerRowActive: true });
    expect(gapOfX.userIds).toContain(rejoiner.id);
    expect(gap.flatMap((seen) => seen.userIds)).not.toContain(lateKept.id);

    const sweep = runs.find((run) => run.name === JobName.heartbeatsEvict && (run.counts.connectionsEvicted ?? 0) > 0)!;
    // Evicted: rejoiner, goneX, goneY and the late user of the session swept first; timed out: all but the rejoiner.
    expect(sweep.counts).toMatchObject({
      connectionsEvicted: 4,
      participantsTimedOut: 3,
      presenceRestored: 0,
    } satisfies JobCounts);

    for (const [sessionId, user] of [
      [sessionX.id, goneX],
      [sessionY.id, goneY],
      [lateEvicted === lateX ? sessionX.id : sessionY.id, lateEvicted],
    ] as const) {
      const closed = await row(sessionId, user.id);
      expect(closed.leaveReason).toBe("TIMEOUT");
      // lastSeenAt never moves back: the (faked) older Redis time loses to the row's join time.
      expect(closed.lastSeenAt).toEqual(closed.joinedAt);
    }
    // The rejoiner keeps the very same row (joinedAt unchanged), active, with its re-joined tab.
    const kept = await api.services.db.sessionParticipant.findMany({
      where: { sessionId: sessionX.id, userId: rejoiner.id },
    });
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ leftAt: null, leaveReason: null, joinedAt: rejoinerJoinedAt });
    expect(await members(sessionX.id)).toContain(`${rejoiner.id}:${tab("rejoiner")}`);
    // The late user who beat during the sweep keeps both its connection and its row.
    const lateSession = first.lateSessionId!;
    expect(await members(lateSession)).toContain(`${lateKept.id}:${tab(`late-${lateSession.slice(0, 4)}`)}`);
    expect(await row(lateSession, lateKept.id)).toMatchObject({ leftAt: null });
    expect(await row(sessionX.id, stayX.id)).toMatchObject({ leftAt: null });
    // Postgres and Redis agree: every active row has a connection and every connection a row.
    for (const sessionId of [sessionX.id, sessionY.id]) {
      const active = await api.services.db.sessionParticipant.findMany({
        where: { sessionId, leftAt: null },
        select: { userId: true },
      });
      const connected = new Set((await members(sessionId)).map((value) => value.slice(0, value.indexOf(":"))));
      expect(active.map((r) => r.userId).sort()).toEqual([...connected].sort());
    }
    await closeServices(services);
  });
});
