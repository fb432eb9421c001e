import { createCaller, createContext, participantsChannel, type ParticipantEvent, type Services } from "@livehall/api";
import { crashJanus, freezeJanus, waitFor } from "@livehall/testing";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { screenshot, seriousViolations, startE2E, visit, type E2E } from "./harness";
import { connectPeer, peerStats, stopPeer } from "./media-peer";
import { createLiveSession, signInThroughApi, startWorker } from "./room-helpers";

// Media end to end, inside the media namespace (vitest.media.config.ts): Janus, this web server and
// Chromium with a fake camera and microphone, all on the namespace's own interfaces. Tests wait for
// outcomes with deadlines and print the times they saw; they assert none.

/** The port Janus's event handler posts to (vitest.media.config.ts configures the run's Janus with it). */
const APP_PORT = Number(new URL(process.env.LIVEHALL_MEDIA_EVENTS_URL!).port);
const FAKE_DEVICES = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

let e2e: E2E;
let services: Services;
let worker: { stop(): Promise<void> } | undefined;
beforeAll(async () => {
  e2e = await startE2E({ port: APP_PORT, chromiumArgs: FAKE_DEVICES });
  services = e2e.server.services;
  // The real worker, running media.reconcile every second.
  worker = await startWorker({
    MEDIA_RECONCILE_EVERY_SECONDS: "1",
    // The specs join through the API without heartbeats: nobody is evicted meanwhile.
    PRESENCE_TIMEOUT_SECONDS: "600",
    HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
  });
});
afterAll(async () => {
  await worker?.stop();
  await e2e?.close();
});

type Role = "STUDENT" | "INSTRUCTOR" | "ADMIN";
const callerFor = (id: string, role: Role) =>
  createCaller(createContext(services, { user: { id, role, familyId: crypto.randomUUID() } }));

/** A person in the session: joined through the API with a tab id, holding that tab's media right. */
async function inSession(userId: string, role: Role, sessionId: string) {
  const caller = callerFor(userId, role);
  const connectionId = `tab-${crypto.randomUUID()}`;
  await caller.session.join({ sessionId, connectionId });
  const access = await caller.session.media({ sessionId, connectionId });
  return { caller, connectionId, access };
}

async function students(count: number) {
  const rows = await services.db.user.findMany({ where: { role: "STUDENT" }, take: count, orderBy: { email: "asc" } });
  expect(rows).toHaveLength(count);
  return rows;
}

/** A page at the app's origin (a secure context: 127.0.0.1), where peers run. */
async function mediaPage(): Promise<Page> {
  const page = await e2e.newPage();
  await page.goto("/login");
  return page;
}

const mediaState = (sessionId: string) => services.redis.hgetall(services.keys.mediaState(sessionId));

/** Waits until the peer has decoded video frames (growing) and received audio packets; returns when. */
async function receives(page: Page, name: string, what: string) {
  const started = Date.now();
  let first = 0;
  await waitFor(
    async () => {
      const stats = await peerStats(page, name);
      if (!first && stats.framesDecoded > 0) first = stats.framesDecoded;
      return first > 0 && stats.framesDecoded > first && stats.audioPacketsReceived > 0;
    },
    { what, timeoutMs: 30_000, intervalMs: 200 },
  );
  const stats = await peerStats(page, name);
  console.log(
    `${what}: after ${Date.now() - started} ms, ${stats.framesDecoded} frames decoded, ${stats.audioPacketsReceived} audio packets`,
  );
  return stats;
}

describe("media in the room", () => {
  test("the instructor publishes; two students receive video and audio; a student's own publishing is kicked", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: publish and watch");
    const [ana, ben] = await students(2);
    const teacher = await inSession(instructorId, "INSTRUCTOR", session.id);
    const first = await inSession(ana!.id, "STUDENT", session.id);
    const second = await inSession(ben!.id, "STUDENT", session.id);
    expect(teacher.access.role).toBe("publisher");
    expect(first.access.role).toBe("subscriber");

    const [teacherPage, firstPage, secondPage] = await Promise.all([mediaPage(), mediaPage(), mediaPage()]);
    const camera = teacher.access.feeds!.camera;
    const published = Date.now();
    await connectPeer(teacherPage, { ...teacher.access, role: "publish", feedId: camera, name: "camera" });
    await waitFor(async () => (await mediaState(session.id))[String(camera)] === "camera", {
      what: "the camera in the session's media state",
    });
    console.log(`camera listed in the media state ${Date.now() - published} ms after publishing began`);

    await Promise.all([
      connectPeer(firstPage, { ...first.access, role: "subscribe", feedId: camera, name: "teacher" }),
      connectPeer(secondPage, { ...second.access, role: "subscribe", feedId: camera, name: "teacher" }),
    ]);
    await receives(firstPage, "teacher", "first student receives the instructor");
    await receives(secondPage, "teacher", "second student receives the instructor");

    // The admin page shows the server, the session's room and who is in it.
    const adminPage = await e2e.newPage();
    await signInThroughApi(adminPage, e2e.url, "admin@livehall.dev");
    await visit(adminPage, "/admin");
    const card = adminPage.getByTestId(`media-server-${teacher.access.serverId}`);
    await expect.poll(() => card.textContent()).toContain("Up");
    await expect.poll(() => card.textContent()).toContain("Media: publish and watch");
    await expect.poll(() => card.textContent()).toContain("1 feed sent · 2 watching");
    expect(await seriousViolations(adminPage, "admin with a media server")).toEqual([]);
    await card.scrollIntoViewIfNeeded();
    await screenshot(adminPage, "admin-media-server");

    // Someone in another session cannot watch this one: their token is not allowed in this room, and
    // a subscription here needs the private_id of a join in this very room (theirs is from their own).
    const elsewhere = await createLiveSession(services, "Media: another class");
    const [cara] = await students(3).then((rows) => rows.slice(2));
    const outsider = await inSession(cara!.id, "STUDENT", elsewhere.session.id);
    await expect(
      connectPeer(secondPage, {
        ...outsider.access,
        roomId: first.access.roomId,
        anchorRoomId: outsider.access.roomId,
        role: "subscribe",
        feedId: camera,
        name: "outsider",
      }),
    ).rejects.toThrow(/requires a valid private_id/);
    await expect(
      connectPeer(secondPage, {
        ...outsider.access,
        roomId: first.access.roomId,
        role: "subscribe",
        feedId: camera,
        name: "outsider",
      }),
    ).rejects.toThrow(/Unauthorized/);

    // Everything the session's tabs are told about media from here on.
    const told: ParticipantEvent[] = [];
    const events = await services.events.subscribe<ParticipantEvent>(participantsChannel(session.id), undefined);
    void (async () => {
      for await (const event of events) told.push(event);
    })();

    // A student publishes with their own (subscriber) token: Janus reports it, the server kicks it.
    const rogueFeed = await connectPeer(firstPage, { ...first.access, role: "publish", name: "rogue" });
    expect(rogueFeed).not.toBeNull();
    const kickedAt = Date.now();
    const server = services.media.admin(first.access.serverId)!;
    await waitFor(async () => !(await server.listParticipants(first.access.roomId)).some((p) => p.id === rogueFeed), {
      what: "the student's feed gone from the room",
    });
    console.log(`student's publisher kicked within ${Date.now() - kickedAt} ms`);
    expect(Object.keys(await mediaState(session.id))).not.toContain(String(rogueFeed));
    events.close();
    const announced = told.flatMap((event) => (event.type === "media" ? event.media.feeds.map((feed) => feed.id) : []));
    expect(announced, "no tab was ever told the student's feed exists").not.toContain(rogueFeed);
    // Nobody can subscribe to it: the feed does not exist any more.
    await expect(
      connectPeer(secondPage, { ...second.access, role: "subscribe", feedId: rogueFeed!, name: "rogue" }),
    ).rejects.toThrow(/No such feed|428/);
    // The instructor's feed is untouched.
    await receives(secondPage, "teacher", "second student still receives the instructor");
  });

  test("Janus crashes mid-session: readiness says media down, it comes back, rooms are re-created, video resumes", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: a crash");
    const [ana] = await students(1);
    const teacher = await inSession(instructorId, "INSTRUCTOR", session.id);
    const learner = await inSession(ana!.id, "STUDENT", session.id);
    const [teacherPage, learnerPage] = await Promise.all([mediaPage(), mediaPage()]);
    const camera = teacher.access.feeds!.camera;
    await connectPeer(teacherPage, { ...teacher.access, role: "publish", feedId: camera, name: "camera" });
    await connectPeer(learnerPage, { ...learner.access, role: "subscribe", feedId: camera, name: "teacher" });
    await receives(learnerPage, "teacher", "before the crash");

    // Janus hangs (SIGSTOP): /readyz says media down (and stays 200). Then it is killed, as a crash,
    // and the run's supervisor starts a new one.
    const { dir } = inject("janus");
    const crashedAt = Date.now();
    await freezeJanus(dir);
    const readiness = async () => {
      const response = await fetch(`${e2e.url}/readyz`);
      return { httpStatus: response.status, ...((await response.json()) as { checks: { media: string } }) };
    };
    try {
      await waitFor(async () => (await readiness()).checks.media === "down", { what: "/readyz to report media down" });
      expect((await readiness()).httpStatus).toBe(200);
      console.log(`/readyz reported media down (still 200) ${Date.now() - crashedAt} ms after Janus hung`);
    } finally {
      // Never leave a hung Janus behind, whatever happened above.
      await crashJanus(dir);
    }

    await waitFor(async () => (await readiness()).checks.media === "ok", {
      what: "the supervisor to restart Janus",
      timeoutMs: 30_000,
    });
    console.log(`Janus answered again ${Date.now() - crashedAt} ms after the crash`);
    // The worker's scheduled media.reconcile job re-creates the room Janus lost.
    const server = services.media.admin(teacher.access.serverId)!;
    await waitFor(async () => (await server.listRooms()).some((room) => room.room === teacher.access.roomId), {
      what: "media.reconcile to re-create the room",
      timeoutMs: 30_000,
    });
    console.log(`room re-created by media.reconcile ${Date.now() - crashedAt} ms after the crash`);

    // The tabs reconnect (the room's own reconnect does the same): same tokens, new Janus sessions.
    await stopPeer(teacherPage, "camera");
    await stopPeer(learnerPage, "teacher");
    const again = await teacher.caller.session.media({ sessionId: session.id, connectionId: teacher.connectionId });
    expect(again.feeds).toEqual(teacher.access.feeds);
    await learner.caller.session.media({ sessionId: session.id, connectionId: learner.connectionId });
    await connectPeer(teacherPage, { ...again, role: "publish", feedId: camera, name: "camera" });
    await connectPeer(learnerPage, { ...learner.access, role: "subscribe", feedId: camera, name: "teacher" });
    await receives(learnerPage, "teacher", "after the crash");
    console.log(`video back ${Date.now() - crashedAt} ms after the crash`);
  });
});
