import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Services } from "@livehall/api";
import { crashJanus, freezeJanus, waitFor } from "@livehall/testing";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import {
  artifactsDir,
  expectNoProblems,
  screenshot,
  seriousViolations,
  startE2E,
  visit,
  waitForPaint,
  type E2E,
  type E2EPage,
} from "./harness";
import {
  createLiveSession,
  expectNoProblemsBut,
  instructorCaller,
  joinRoom,
  markDocument,
  phaseOf,
  signInThroughApi,
  stillSameDocument,
} from "./room-helpers";

// The room's media end to end, through the real page (apps/web/app/lib/media, components/room/media):
// inside the media namespace, with this web server, the run's Janus and Chromium's fake camera,
// microphone and screen. Each page records what it opened and created (an init script wraps
// getUserMedia, getDisplayMedia and RTCPeerConnection; the app itself has no test hooks), so the
// tests can read the received stats and see that tracks ended and connections closed. Tests wait
// for outcomes with deadlines and print the times they saw; they assert none.

/** The port Janus's event handler posts to (vitest.media.config.ts configures the run's Janus with it). */
const APP_PORT = Number(new URL(process.env.LIVEHALL_MEDIA_EVENTS_URL!).port);
const FAKE_DEVICES = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--auto-select-desktop-capture-source=Entire screen",
  "--autoplay-policy=no-user-gesture-required",
];

let e2e: E2E;
let services: Services;
const opened: E2EPage[] = [];
beforeAll(async () => {
  e2e = await startE2E({
    port: APP_PORT,
    chromiumArgs: FAKE_DEVICES,
    // Reconnects 250 ms · 2^attempt apart with full jitter, at most 2 s (production: CLIENT_BACKOFF_*).
    env: { CLIENT_BACKOFF_BASE_MS: "250", CLIENT_BACKOFF_CAP_MS: "2000" },
  });
  services = e2e.server.services;
  await mkdir(artifactsDir, { recursive: true });
});
afterAll(() => e2e?.close());
afterEach(async () => {
  await Promise.all(
    opened.splice(0).map((page) =>
      page
        .context()
        .close()
        .catch(() => undefined),
    ),
  );
});

/** Runs in every page before the app: keeps what the page opened (tracks) and created (PeerConnections). */
function recordMedia() {
  const media = {
    tracks: [] as MediaStreamTrack[],
    /** Where each track came from: "user" (camera, microphone), "display" (screen), "canvas". */
    sources: [] as string[],
    pcs: [] as RTCPeerConnection[],
  };
  const keep = (stream: MediaStream, source: string) => {
    for (const track of stream.getTracks()) {
      media.tracks.push(track);
      media.sources.push(source);
    }
  };
  Object.assign(window, { __media: media });
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    keep(stream, "user");
    return stream;
  };
  const getDisplayMedia = devices.getDisplayMedia.bind(devices);
  devices.getDisplayMedia = async (constraints) => {
    const stream = await getDisplayMedia(constraints);
    keep(stream, "display");
    return stream;
  };
  const captureStream = HTMLCanvasElement.prototype.captureStream;
  HTMLCanvasElement.prototype.captureStream = function (frameRate?: number) {
    const stream = captureStream.call(this, frameRate);
    keep(stream, "canvas");
    return stream;
  };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      media.pcs.push(this);
    }
  };
}

interface Received {
  /** Per open PeerConnection that receives video: frames decoded so far. */
  videoFrames: number[];
  audioPackets: number;
  openPcs: number;
  livePcs: number;
}

/** What the page receives right now, over its PeerConnections that are not closed. */
function received(page: Page): Promise<Received> {
  return page.evaluate(async () => {
    const { pcs } = (window as unknown as { __media: { pcs: RTCPeerConnection[] } }).__media;
    const result = { videoFrames: [] as number[], audioPackets: 0, openPcs: 0, livePcs: 0 };
    for (const pc of pcs) {
      if (pc.connectionState === "closed") continue;
      result.openPcs++;
      if (pc.connectionState === "connected") result.livePcs++;
      let frames: number | null = null;
      (await pc.getStats()).forEach((report: Record<string, unknown>) => {
        if (report.type !== "inbound-rtp") return;
        if (report.kind === "video") frames = (frames ?? 0) + Number(report.framesDecoded ?? 0);
        if (report.kind === "audio") result.audioPackets += Number(report.packetsReceived ?? 0);
      });
      if (frames !== null) result.videoFrames.push(frames);
    }
    return result;
  });
}

/** The states of every track the page opened, and of every PeerConnection it created. */
function localMedia(page: Page): Promise<{ tracks: string[]; cameras: string[]; pcs: string[] }> {
  return page.evaluate(() => {
    type Recorded = { tracks: MediaStreamTrack[]; sources: string[]; pcs: RTCPeerConnection[] };
    const media = (window as unknown as { __media: Recorded }).__media;
    return {
      tracks: media.tracks.map((track) => track.readyState),
      cameras: media.tracks
        .filter((track, index) => track.kind === "video" && media.sources[index] === "user")
        .map((track) => track.readyState),
      pcs: media.pcs.map((pc) => pc.connectionState),
    };
  });
}

/**
 * Waits until the page decodes `feeds` video feeds with growing frame counts (and audio packets
 * arrive); prints how long that took.
 */
async function receives(page: Page, feeds: number, what: string, since = Date.now()) {
  let first: number[] = [];
  await waitFor(
    async () => {
      const now = await received(page);
      const decoding = now.videoFrames.filter((frames) => frames > 0);
      if (first.length < feeds) {
        first = decoding.length >= feeds ? now.videoFrames : [];
        return false;
      }
      const growing = now.videoFrames.filter((frames, index) => frames > (first[index] ?? Infinity)).length;
      return growing >= feeds && now.audioPackets > 0;
    },
    { what, timeoutMs: 30_000, intervalMs: 250 },
  );
  const now = await received(page);
  console.log(
    `${what}: after ${Date.now() - since} ms, frames decoded per feed ${now.videoFrames.join(" / ")}, ${now.audioPackets} audio packets`,
  );
  return now;
}

async function emailOf(userId: string) {
  return (await services.db.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } })).email;
}

async function studentEmails(count: number) {
  const rows = await services.db.user.findMany({
    where: { role: "STUDENT" },
    take: count,
    orderBy: { email: "asc" },
    select: { id: true, email: true },
  });
  expect(rows).toHaveLength(count);
  return rows;
}

/** A signed-in page (own browser context) on the session's room, joined. */
async function inRoom(email: string, sessionId: string, { join = true } = {}): Promise<E2EPage> {
  const page = await e2e.newPage();
  opened.push(page);
  await page.context().addInitScript(recordMedia);
  await signInThroughApi(page, e2e.url, email);
  await visit(page, `/sessions/${sessionId}`);
  if (join) {
    await joinRoom(page);
    await expect.poll(() => phaseOf(page), { timeout: 15_000 }).toBe("connected");
  }
  return page;
}

/** A live session whose instructor is live, with one student receiving the video (the page marked). */
async function instructorLiveWithOneStudent(title: string) {
  const { session, instructorId } = await createLiveSession(services, title);
  const [ana] = await studentEmails(1);
  const teacher = await inRoom(await emailOf(instructorId), session.id);
  await goLive(teacher, session.id);
  const student = await inRoom(ana!.email, session.id);
  await receives(student, 1, "the student receives the instructor");
  await markDocument(student);
  return { session, ana: ana!, teacher, student };
}

const NOTHING_YET = "The instructor hasn't started the video yet";
const mediaStatus = (page: Page) => page.getByTestId("media-status").getAttribute("data-media");
const controls = (page: Page) => page.getByTestId("broadcast-controls");

async function goLive(page: Page, sessionId: string) {
  const started = Date.now();
  await page.getByTestId("go-live").click();
  await expect.poll(() => controls(page).getAttribute("data-camera"), { timeout: 20_000 }).toBe("live");
  await waitFor(async () => (await mediaFeeds(sessionId)).includes("camera"), {
    what: "the camera in the session's media state",
  });
  console.log(`instructor live (camera listed) ${Date.now() - started} ms after Go live`);
}

const mediaFeeds = async (sessionId: string) =>
  Object.entries(await services.redis.hgetall(services.keys.mediaState(sessionId)))
    .filter(([field]) => field !== "available")
    .map(([, kind]) => kind);

/** The Janus handles of one tab (its token names the session and the connection). */
async function handlesOf(sessionId: string, connectionId: string) {
  const session = await services.db.liveSession.findUniqueOrThrow({
    where: { id: sessionId },
    select: { mediaServerId: true },
  });
  const admin = services.media.admin(session.mediaServerId!)!;
  const prefix = `lh1.${sessionId}.${connectionId}.`;
  const found: { sessionId: number; handleId: number }[] = [];
  for (const janusSession of await admin.listSessions()) {
    for (const handleId of await admin.listHandles(janusSession)) {
      const info = await admin.handleInfo(janusSession, handleId);
      if (info?.token?.startsWith(prefix)) found.push({ sessionId: info.sessionId, handleId: info.handleId });
    }
  }
  return { admin, handles: found };
}

const connectionIdOf = (page: Page, sessionId: string) =>
  page.evaluate((id) => window.sessionStorage.getItem(`livehall:room:${id}:connection`)!, sessionId);

/** Waits until every track the page opened has ended and every PeerConnection is closed. */
async function released(page: Page, what: string, since: number) {
  await waitFor(
    async () => {
      const { tracks, pcs } = await localMedia(page);
      return tracks.every((state) => state === "ended") && pcs.every((state) => state === "closed");
    },
    { what, timeoutMs: 10_000 },
  );
  const { tracks, pcs } = await localMedia(page);
  console.log(
    `${what}: ${tracks.length} tracks ended, ${pcs.length} connections closed after ${Date.now() - since} ms`,
  );
}

async function noHandlesLeft(sessionId: string, connectionId: string, what: string, since: number) {
  await waitFor(async () => (await handlesOf(sessionId, connectionId)).handles.length === 0, {
    what,
    timeoutMs: 15_000,
  });
  console.log(`${what}: Janus lists none ${Date.now() - since} ms after`);
}

/**
 * harness `screenshot` (`<name>-<width>.png` in the artifacts folder, nothing sticking out sideways),
 * with the viewport as tall as the page: a full-page capture of a page playing video can show a block
 * that was not repainted yet.
 */
async function stageScreenshot(page: Page, name: string, width: number) {
  await page.setViewportSize({ width, height: 900 });
  await waitForPaint(page);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height });
  await page.evaluate(() => window.scrollTo(0, 0));
  await waitForPaint(page);
  await page.screenshot({ path: path.join(artifactsDir, `${name}-${width}.png`), animations: "disabled" });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

describe("the room's video", () => {
  test("the instructor goes live and shares a screen; two students watch and listen; Stop shows the placeholder", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: the class you can see and hear");
    const [ana, ben] = await studentEmails(2);

    const teacher = await inRoom(await emailOf(instructorId), session.id, { join: false });
    // The device check on the pre-join screen: preview and microphone level.
    const checkStarted = Date.now();
    const start = teacher.getByTestId("start-device-check");
    const preview = teacher.getByTestId("device-preview");
    await start.or(preview).first().waitFor({ timeout: 15_000 });
    if (await start.isVisible()) await start.click();
    await preview.waitFor({ timeout: 15_000 });
    await expect
      .poll(async () => Number(await teacher.getByTestId("microphone-level").getAttribute("aria-valuenow")), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    console.log(`device check: preview and a moving level meter ${Date.now() - checkStarted} ms after it started`);
    await screenshot(teacher, "room-media-device-check", 1280);
    expect(await seriousViolations(teacher, "device check")).toEqual([]);
    await joinRoom(teacher);
    await expect.poll(() => phaseOf(teacher), { timeout: 15_000 }).toBe("connected");
    // Joining closed the check's preview: the camera is off until Go live.
    await released(teacher, "the device check's preview after Join", Date.now());

    const [first, second] = await Promise.all([inRoom(ana!.email, session.id), inRoom(ben!.email, session.id)]);
    expect(await first.getByTestId("stage-placeholder").textContent()).toContain(NOTHING_YET);
    const live = Date.now();
    await goLive(teacher, session.id);
    await Promise.all([
      receives(first, 1, "first student receives the instructor's camera and microphone", live),
      receives(second, 1, "second student receives the instructor's camera and microphone", live),
    ]);
    await expect.poll(() => mediaStatus(first)).toBe("live");

    const shared = Date.now();
    await teacher.getByTestId("share-screen").click();
    await expect.poll(() => controls(teacher).getAttribute("data-screen"), { timeout: 20_000 }).toBe("live");
    await Promise.all([
      receives(first, 2, "first student receives the shared screen as a second feed", shared),
      receives(second, 2, "second student receives the shared screen as a second feed", shared),
    ]);
    for (const page of [first, second, teacher])
      await expect.poll(() => page.getByTestId("stage-layout").getAttribute("data-layout")).toBe("screen");

    const violations = [];
    for (const width of [375, 1280]) {
      await stageScreenshot(teacher, "room-media-instructor-live", width);
      await stageScreenshot(first, "room-media-student-watching", width);
      violations.push(
        ...(await seriousViolations(teacher, `instructor live with a shared screen at ${width} px`)),
        ...(await seriousViolations(first, `student watching at ${width} px`)),
      );
    }
    expect(violations).toEqual([]);

    // Camera off releases the camera (its light goes off) and back on opens it again; mute and unmute.
    const cameraOff = Date.now();
    await teacher.getByTestId("toggle-camera").click();
    await waitFor(async () => (await localMedia(teacher)).cameras.every((state) => state === "ended"), {
      what: "the camera released by Camera off",
    });
    console.log(`Camera off: the camera track ended after ${Date.now() - cameraOff} ms`);
    await teacher.getByTestId("toggle-camera").click();
    await waitFor(async () => (await localMedia(teacher)).cameras.includes("live"), { what: "the camera back on" });
    await teacher.getByTestId("toggle-microphone").click();
    expect(await teacher.getByTestId("toggle-microphone").textContent()).toBe("Unmute");
    await teacher.getByTestId("toggle-microphone").click();
    await receives(first, 2, "the first student still receives both feeds after camera off and on");

    const stopped = Date.now();
    await teacher.getByTestId("stop-broadcast").click();
    await Promise.all(
      [first, second].map((page) =>
        expect
          .poll(async () => (await page.getByTestId("stage-placeholder").count()) > 0, { timeout: 15_000 })
          .toBe(true),
      ),
    );
    console.log(`students see the placeholder ${Date.now() - stopped} ms after Stop broadcast`);
    expect(await second.getByTestId("stage-placeholder").textContent()).toContain(NOTHING_YET);
    // The instructor's camera, microphone and screen are off.
    await released(teacher, "the instructor's devices after Stop broadcast", stopped);
    for (const page of [teacher, first, second]) expectNoProblems(page);
  });

  test("a student's video reconnects by itself after Janus drops its handle: no reload, the same participant row", async () => {
    const { session, ana, teacher, student } = await instructorLiveWithOneStudent("Media: reconnect");
    const rowsBefore = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id, userId: ana.id },
      select: { id: true, joinedAt: true, leftAt: true },
    });
    expect(rowsBefore).toHaveLength(1);

    const connectionId = await connectionIdOf(student, session.id);
    const { admin, handles } = await handlesOf(session.id, connectionId);
    expect(handles.length).toBeGreaterThan(0);
    const killed = Date.now();
    for (const handle of handles) await admin.detachHandle(handle.sessionId, handle.handleId);
    const pcsBefore = (await localMedia(student)).pcs.length;
    // A new PeerConnection (a new Janus session and subscription) decodes the instructor again.
    await waitFor(async () => (await localMedia(student)).pcs.length > pcsBefore, {
      what: "a new connection after the handle was killed",
      timeoutMs: 30_000,
    });
    await receives(student, 1, "the student receives the instructor again after the handle was killed", killed);
    expect(await stillSameDocument(student)).toBe(true);
    expect(await phaseOf(student)).toBe("connected");
    const rowsAfter = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id, userId: ana.id },
      select: { id: true, joinedAt: true, leftAt: true },
    });
    expect(rowsAfter).toEqual(rowsBefore);
    expect((await handlesOf(session.id, connectionId)).handles.length).toBeGreaterThan(0);
    for (const page of [teacher, student]) expectNoProblems(page);
  });

  test("Leave and pagehide end every local track, close the connections and leave no Janus handle of the tab", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: release");
    const [ana] = await studentEmails(1);
    const teacher = await inRoom(await emailOf(instructorId), session.id);
    const teacherTab = await connectionIdOf(teacher, session.id);
    await goLive(teacher, session.id);
    await teacher.getByTestId("share-screen").click();
    await expect.poll(() => controls(teacher).getAttribute("data-screen"), { timeout: 20_000 }).toBe("live");
    expect((await handlesOf(session.id, teacherTab)).handles.length).toBeGreaterThan(0);

    const left = Date.now();
    await teacher.getByTestId("leave").click();
    await released(teacher, "after Leave, the instructor's tracks and connections", left);
    await noHandlesLeft(session.id, teacherTab, "after Leave, the instructor tab's handles", left);

    // Back in, live again, a student watching; then both pages are hidden (pagehide).
    await teacher.getByRole("button", { name: "Rejoin" }).click();
    await expect.poll(() => phaseOf(teacher), { timeout: 15_000 }).toBe("connected");
    await goLive(teacher, session.id);
    const student = await inRoom(ana!.email, session.id);
    const studentTab = await connectionIdOf(student, session.id);
    await receives(student, 1, "the student receives the instructor");

    for (const [page, tab, who] of [
      [student, studentTab, "student"],
      [teacher, teacherTab, "instructor"],
    ] as const) {
      const hidden = Date.now();
      await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false })));
      // The room is back to its pre-join state; a hidden page shows no device check (it would open the camera).
      await page.getByTestId("pre-join").waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("device-check").count()).toBe(0);
      await released(page, `after pagehide, the ${who}'s tracks and connections`, hidden);
      await noHandlesLeft(session.id, tab, `after pagehide, the ${who} tab's handles`, hidden);
    }
    for (const page of [teacher, student]) expectNoProblems(page);
  });

  test("navigating away, removal, sign-out and the session's end release the students' video too", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: every way out");
    const people = await studentEmails(4);
    const teacher = await inRoom(await emailOf(instructorId), session.id);
    await goLive(teacher, session.id);
    const students = await Promise.all(people.map((person) => inRoom(person.email, session.id)));
    await Promise.all(students.map((page, index) => receives(page, 1, `student ${index + 1} receives the instructor`)));
    const tabs = await Promise.all(students.map((page) => connectionIdOf(page, session.id)));
    for (const page of students) await markDocument(page);
    const [navigating, removed, signingOut, staying] = students as [E2EPage, E2EPage, E2EPage, E2EPage];

    const ways: [E2EPage, number, string, () => Promise<unknown>][] = [
      [
        navigating,
        0,
        "navigating to All sessions",
        () => navigating.getByRole("link", { name: "All sessions" }).click(),
      ],
      [
        removed,
        1,
        "being removed by the instructor",
        () =>
          instructorCaller(services, instructorId).session.removeParticipant({
            sessionId: session.id,
            userId: people[1]!.id,
          }),
      ],
      [signingOut, 2, "signing out", () => signingOut.getByRole("button", { name: "Sign out" }).click()],
      [
        staying,
        3,
        "the session's end",
        () => instructorCaller(services, instructorId).session.end({ sessionId: session.id }),
      ],
    ];
    for (const [page, index, way, act] of ways) {
      const started = Date.now();
      await act();
      await released(page, `after ${way}, the student's connections`, started);
      await noHandlesLeft(session.id, tabs[index]!, `after ${way}, the student tab's handles`, started);
      // The page that ran the media is the one checked: it was never reloaded.
      expect(await stillSameDocument(page)).toBe(true);
    }
    // The end released the instructor's camera and microphone as well.
    await released(teacher, "after the session's end, the instructor's tracks and connections", Date.now());
    for (const page of [teacher, ...students]) expectNoProblems(page);
  });

  test("where the browser wants a click before playing sound, the student gets 'Click to turn on sound'", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: sound needs a click");
    const [ana] = await studentEmails(1);
    const teacher = await inRoom(await emailOf(instructorId), session.id);
    await goLive(teacher, session.id);
    // Safari's rule, in Chromium: a video may start with sound only inside a user gesture's handler
    // (Chromium itself allows it for the rest of the page's life once the user clicked anything, such
    // as Join).
    const page = await e2e.newPage({ viewport: { width: 375, height: 800 } });
    opened.push(page);
    await page.context().addInitScript(() => {
      let inGesture = false;
      for (const type of ["click", "keydown"]) {
        window.addEventListener(
          type,
          () => {
            inGesture = true;
            setTimeout(() => (inGesture = false), 0);
          },
          true,
        );
      }
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function () {
        if (!this.muted && !inGesture)
          return Promise.reject(new DOMException("play() with sound needs a user gesture", "NotAllowedError"));
        return play.call(this);
      };
    });
    await signInThroughApi(page, e2e.url, ana!.email);
    await visit(page, `/sessions/${session.id}`);
    await joinRoom(page);
    const asked = Date.now();
    const button = page.getByTestId("turn-on-sound");
    await button.waitFor({ timeout: 20_000 });
    console.log(`"Click to turn on sound" shown ${Date.now() - asked} ms after Join`);
    const camera = page.getByTestId("stage-camera").locator("video");
    // Meanwhile the video plays, without sound.
    expect(await camera.evaluate((video: HTMLVideoElement) => [video.muted, video.paused])).toEqual([true, false]);
    await stageScreenshot(page, "room-media-click-for-sound", 375);
    expect(await seriousViolations(page, "a student asked to click for sound")).toEqual([]);
    // With the keyboard: the button takes focus and Enter is the gesture.
    await button.focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => camera.evaluate((video: HTMLVideoElement) => [video.muted, video.paused]))
      .toEqual([false, false]);
    expect(await button.count()).toBe(0);
    expectNoProblems(page);
  });

  test("camera and microphone blocked by the browser: the device check and Go live say what to do, and joining still works", async () => {
    const { session, instructorId } = await createLiveSession(services, "Media: devices blocked");
    const page = await e2e.newPage({ viewport: { width: 375, height: 800 } });
    opened.push(page);
    // What getUserMedia does once the user said "Block" in the browser's permission prompt.
    await page.context().addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
    });
    await signInThroughApi(page, e2e.url, await emailOf(instructorId));
    await visit(page, `/sessions/${session.id}`);
    // Permission looks granted to the page (Chromium's fake prompt), so the check may start by itself.
    const start = page.getByTestId("start-device-check");
    const problem = page.getByTestId("device-check-problem");
    await start.or(problem).first().waitFor();
    if (await start.isVisible()) await start.click();
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/blocking the camera and microphone.*allow both, then press Try again/);
    await stageScreenshot(page, "room-media-devices-blocked", 375);
    expect(await seriousViolations(page, "device check with the devices blocked")).toEqual([]);

    // The way out: join anyway; Go live says the same, and nothing is left open.
    await joinRoom(page);
    await expect.poll(() => phaseOf(page), { timeout: 15_000 }).toBe("connected");
    await page.getByTestId("go-live").click();
    await page.getByTestId("device-problem").waitFor();
    expect(await page.getByTestId("device-problem").textContent()).toMatch(/address bar/);
    expect(await controls(page).getAttribute("data-camera")).toBe("off");
    expect(await page.getByTestId("stage-placeholder").textContent()).toContain("You're not live yet");
    expectNoProblems(page);
  });

  test("Janus hangs: the room says plainly that video cannot connect; once it is back, video returns by itself", async () => {
    const { session, teacher, student } = await instructorLiveWithOneStudent("Media: an outage");
    const rowsBefore = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id },
      orderBy: { userId: "asc" },
      select: { id: true, userId: true, leftAt: true },
    });

    const { dir } = inject("janus");
    const frozen = Date.now();
    await freezeJanus(dir);
    try {
      await expect.poll(() => mediaStatus(student), { timeout: 60_000, interval: 250 }).toBe("cannot-connect");
      console.log(`the student's room says "Video cannot connect" ${Date.now() - frozen} ms after Janus hung`);
      expect(await student.getByTestId("stage-placeholder").textContent()).toMatch(/firewall, VPN/);
      expect(await phaseOf(student)).toBe("connected");
    } finally {
      // Killed as a crash: the run's supervisor brings Janus back for what follows.
      await crashJanus(dir);
    }
    const crashed = Date.now();
    await expect.poll(() => controls(teacher).getAttribute("data-camera"), { timeout: 60_000 }).toBe("live");
    console.log(`the instructor is live again ${Date.now() - crashed} ms after Janus was restarted`);
    await receives(student, 1, "the student receives the instructor again after the outage", crashed);
    await expect.poll(() => mediaStatus(student)).toBe("live");
    expect(await stillSameDocument(student)).toBe(true);
    const rowsAfter = await services.db.sessionParticipant.findMany({
      where: { sessionId: session.id },
      orderBy: { userId: "asc" },
      select: { id: true, userId: true, leftAt: true },
    });
    expect(rowsAfter).toEqual(rowsBefore);
    // session.media answers 503 while Janus is down: Chromium logs each of those answers.
    for (const page of [teacher, student]) expectNoProblemsBut(page, /status of 50\d|net::ERR_/);
  });
});
