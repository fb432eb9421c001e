import { JanusRequestError, openJanusTab, waitFor, type JanusTab } from "@livehall/testing";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { createTestServices, fakeClock, insertUsers } from "../testing/services";
import { handleMediaEvents } from "./media-events";
import { syncMediaGrants } from "./media-access";
import { reconcileMedia } from "./media-reconcile";
import { evictStaleConnections } from "./reconcile";

// Media rights against a real Janus (started for this run by the media suites' global setup, on
// loopback: signalling only, no WebRTC, so no media leaves this machine's loopback).

const clock = fakeClock();
const { services, context, close } = createTestServices({ MAX_TABS_PER_SESSION: "2" }, { clock: clock.now });
afterAll(close);

const server = services.media.admin(services.media.ids[0]!)!;
const apiUrl = server.server.apiUrl;
const tabId = () => `tab-${crypto.randomUUID()}`;
const tabs: JanusTab[] = [];
// Each test's Janus sessions go with it, so the reconcile job of a later test sees only its own.
afterEach(() => Promise.all(tabs.splice(0).map((tab) => tab.destroy())));

async function joinedTab(user: SessionUser, sessionId: string) {
  const connectionId = tabId();
  const caller = createCaller(context(user));
  await caller.session.join({ sessionId, connectionId });
  const access = await caller.session.media({ sessionId, connectionId });
  return { caller, connectionId, access };
}

/** A browser tab's Janus session with this token, in the session's room (as a publisher without media, or a subscriber-less join). */
async function enterRoom(token: string, roomId: number, feedId?: number) {
  const tab = await openJanusTab(apiUrl, token);
  tabs.push(tab);
  const handleId = await tab.attach();
  const joined = await tab.request(handleId, {
    request: "join",
    ptype: "publisher",
    room: roomId,
    token,
    ...(feedId ? { id: feedId } : {}),
  });
  return { tab, handleId, joined };
}

const reasonOf = async (call: Promise<unknown>) =>
  (
    (await call.then(
      () => null,
      (error: unknown) => error,
    )) as { cause?: { reason?: string } } | null
  )?.cause?.reason ?? "none";

async function handlesOf(tab: JanusTab) {
  return server.listHandles(tab.sessionId);
}

describe("session.media", () => {
  test("a joined student gets a subscriber token, the instructor a publisher one with two feeds; strangers get 403", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [student, stranger, outsider] = await insertUsers(services, 3);
    // The stranger is a student of the course who has not joined (media is for tabs in the room).
    await enrollUsers(services, session.courseId, [stranger!]);

    const learner = await joinedTab(asSessionUser(student!), session.id);
    expect(learner.access).toMatchObject({
      serverId: services.media.ids[0],
      apiUrl: `/media/${services.media.ids[0]}/janus`,
      role: "subscriber",
      feeds: null,
    });
    const teacher = await joinedTab(instructor, session.id);
    expect(teacher.access.role).toBe("publisher");
    expect(teacher.access.feeds!.camera).not.toBe(teacher.access.feeds!.screen);
    expect(teacher.access.roomId).toBe(learner.access.roomId);

    // Asking again from the same tab: the same token and feeds (a reconnect keeps its identity).
    const again = await teacher.caller.session.media({ sessionId: session.id, connectionId: teacher.connectionId });
    expect(again).toMatchObject({ token: teacher.access.token, feeds: teacher.access.feeds });

    const registered = await server.listTokens();
    expect(registered).toEqual(expect.arrayContaining([learner.access.token, teacher.access.token]));

    const strangerCaller = createCaller(context(asSessionUser(stranger!)));
    expect(await reasonOf(strangerCaller.session.media({ sessionId: session.id, connectionId: tabId() }))).toBe(
      "NOT_IN_SESSION",
    );
    // Someone else's tab id does not help either.
    expect(
      await reasonOf(strangerCaller.session.media({ sessionId: session.id, connectionId: learner.connectionId })),
    ).toBe("NOT_IN_SESSION");
    // Someone who is not a student of the course is told so (docs/decisions/020).
    expect(
      await reasonOf(
        createCaller(context(asSessionUser(outsider!))).session.media({ sessionId: session.id, connectionId: tabId() }),
      ),
    ).toBe("NOT_ENROLLED");
  });

  test("a token lets its tab into its own session's room and no other", async () => {
    const first = await createSessionFixture(services);
    const second = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const inFirst = await joinedTab(asSessionUser(student!), first.session.id);
    const inSecond = await joinedTab(second.instructor, second.session.id);

    const { joined } = await enterRoom(inFirst.access.token, inFirst.access.roomId);
    expect(joined.videoroom).toBe("joined");
    const refused = await enterRoom(inFirst.access.token, inSecond.access.roomId).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(JanusRequestError);
    expect((refused as JanusRequestError).code).toBe(433); // VideoRoom: unauthorized

    // A made-up token opens nothing at all.
    const forged = `${inFirst.access.token.slice(0, -4)}AAAA`;
    await expect(openJanusTab(apiUrl, forged)).rejects.toMatchObject({ code: 403 });
  });
});

describe("the right ends with the tab's presence", () => {
  test("leave, removal, eviction and session end: the token is gone and Janus keeps no handle of the tab", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [leaver, removed, silent] = await insertUsers(services, 3);
    const tabsByCase = {
      leave: await joinedTab(asSessionUser(leaver!), session.id),
      removal: await joinedTab(asSessionUser(removed!), session.id),
      eviction: await joinedTab(asSessionUser(silent!), session.id),
      end: await joinedTab(instructor, session.id),
    };
    const rooms = Object.fromEntries(
      await Promise.all(
        Object.entries(tabsByCase).map(async ([name, tab]) => [
          name,
          await enterRoom(tab.access.token, tab.access.roomId),
        ]),
      ),
    ) as Record<keyof typeof tabsByCase, Awaited<ReturnType<typeof enterRoom>>>;
    for (const room of Object.values(rooms)) expect(await handlesOf(room.tab)).toHaveLength(1);

    const gone = async (name: keyof typeof tabsByCase) => {
      const started = Date.now();
      await waitFor(
        async () =>
          !(await server.listTokens()).includes(tabsByCase[name].access.token) &&
          (await handlesOf(rooms[name].tab)).length === 0,
        { what: `${name}: token and handle gone`, timeoutMs: 10_000 },
      );
      console.log(`media right gone after ${name} in ${Date.now() - started} ms`);
      expect(await rooms[name].tab.alive()).toBe(false);
    };

    await tabsByCase.leave.caller.session.leave({ sessionId: session.id, connectionId: tabsByCase.leave.connectionId });
    await gone("leave");

    await createCaller(context(instructor)).session.removeParticipant({ sessionId: session.id, userId: removed!.id });
    await gone("removal");

    // Everyone but the silent tab beats; the clock passes the presence timeout; the sweep evicts it.
    clock.advance(services.config.timings.presenceTimeoutMs + 1_000);
    await tabsByCase.end.caller.session.heartbeat({ sessionId: session.id, connectionId: tabsByCase.end.connectionId });
    await evictStaleConnections(services);
    const silentTab = { sessionId: session.id, connectionId: tabsByCase.eviction.connectionId };
    expect((await tabsByCase.eviction.caller.session.heartbeat(silentTab)).status).toBe("rejoin");
    await gone("eviction");
    expect(await server.listTokens()).toContain(tabsByCase.end.access.token);

    await createCaller(context(instructor)).session.end({ sessionId: session.id });
    await gone("end");
    await waitFor(async () => !(await server.listRooms()).some((room) => room.room === tabsByCase.end.access.roomId), {
      what: "the room destroyed",
    });
  });

  test("a tab replaced by the user's newest one, and a user who signs out: their rights go too", async () => {
    const { session } = await createSessionFixture(services);
    const [multiTab, signingOut] = await insertUsers(services, 2);
    const oldest = await joinedTab(asSessionUser(multiTab!), session.id);
    const oldestRoom = await enterRoom(oldest.access.token, oldest.access.roomId);
    await joinedTab(asSessionUser(multiTab!), session.id);
    const newest = await joinedTab(asSessionUser(multiTab!), session.id); // a third tab: the oldest is replaced
    const leaving = await joinedTab(asSessionUser(signingOut!), session.id);
    const leavingRoom = await enterRoom(leaving.access.token, leaving.access.roomId);
    await leaving.caller.auth.logout({});

    for (const [tab, room] of [
      [oldest, oldestRoom],
      [leaving, leavingRoom],
    ] as const) {
      await waitFor(
        async () => !(await server.listTokens()).includes(tab.access.token) && (await handlesOf(room.tab)).length === 0,
        { what: "token and handle gone" },
      );
    }
    expect(await server.listTokens()).toContain(newest.access.token);
  });

  test("a tab that leaves and comes straight back gets a new token, which the old stay's revocation leaves alone", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const first = await joinedTab(asSessionUser(student!), session.id);
    const ids = { sessionId: session.id, connectionId: first.connectionId };
    await first.caller.session.leave(ids);
    await first.caller.session.join(ids);
    const second = await first.caller.session.media(ids);
    expect(second.token).not.toBe(first.access.token);
    await waitFor(async () => !(await server.listTokens()).includes(first.access.token), {
      what: "the old stay's token gone",
    });
    // Whatever order the leave's revocation and the new grant ran in, the new stay keeps its right.
    await syncMediaGrants(services, session.id);
    expect(await server.listTokens()).toContain(second.token);
    const { joined } = await enterRoom(second.token, second.roomId);
    expect(joined.videoroom).toBe("joined");
  });

  test("starting a session places it on a media server and creates its room", async () => {
    const { session, instructor } = await createSessionFixture(services, "SCHEDULED");
    await createCaller(context(instructor)).session.start({ sessionId: session.id, early: true });
    const placed = await services.db.liveSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(placed.mediaServerId).toBe(services.media.ids[0]);
    await waitFor(async () => (await server.listRooms()).some((room) => room.room === Number(placed.mediaRoomId)), {
      what: "the room on the media server",
    });
  });
});

describe("who may publish", () => {
  test("a student's publisher is kicked as soon as Janus reports it; the instructor's feed becomes the media state", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const learner = await joinedTab(asSessionUser(student!), session.id);
    const teacher = await joinedTab(instructor, session.id);
    const rogue = await enterRoom(learner.access.token, learner.access.roomId);
    const legit = await enterRoom(teacher.access.token, teacher.access.roomId, teacher.access.feeds!.camera);

    // What Janus's event handler posts when a feed starts (the shape of sampleevh's plugin events).
    const published = (tab: typeof rogue, feedId: number) => ({
      type: 64,
      session_id: tab.tab.sessionId,
      handle_id: tab.handleId,
      event: {
        plugin: "janus.plugin.videoroom",
        data: { event: "published", room: learner.access.roomId, id: feedId },
      },
    });
    const outcome = await handleMediaEvents(services, [
      published(rogue, rogue.joined.id as number),
      published(legit, teacher.access.feeds!.camera),
    ]);
    expect(outcome).toEqual({ published: 1, stopped: 0, kicked: 1 });
    expect(await handlesOf(rogue.tab)).toHaveLength(0);
    const participants = await server.listParticipants(learner.access.roomId);
    expect(participants.map((participant) => participant.id)).toEqual([teacher.access.feeds!.camera]);

    const caller = createCaller(context(asSessionUser(student!)));
    const stream = await caller.session.onParticipants({ sessionId: session.id });
    const iterator = stream[Symbol.asyncIterator]();
    const snapshot = (await iterator.next()).value;
    expect(snapshot).toMatchObject({
      type: "snapshot",
      media: { available: true, feeds: [{ id: teacher.access.feeds!.camera, kind: "camera" }] },
    });
    await iterator.return?.(undefined);
  });

  test("taking the instructor's feed id with a student's token does not work either", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const learner = await joinedTab(asSessionUser(student!), session.id);
    const teacher = await joinedTab(instructor, session.id);
    const squatter = await enterRoom(learner.access.token, learner.access.roomId, teacher.access.feeds!.camera);
    // Janus did not report it (a lost event): the reconcile job finds it by reading every handle.
    const [counts] = await reconcileMedia(services);
    expect(counts).toMatchObject({ up: true, publishersKicked: 1 });
    expect(await handlesOf(squatter.tab)).toHaveLength(0);
    // The teacher's own tab is untouched, and a second run finds nothing more to do.
    expect(await server.listTokens()).toContain(teacher.access.token);
    expect((await reconcileMedia(services))[0]).toMatchObject({ publishersKicked: 0, handlesDetached: 0 });
  });
});
