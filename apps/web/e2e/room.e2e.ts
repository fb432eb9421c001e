import path from "node:path";
import { describe, expect, test } from "vitest";
import { createCaller, createContext } from "@livehall/api";
import { DEMO_PASSWORD, artifactsDir, seriousViolations, visit, type E2EPage } from "./harness";
import {
  countOf,
  createLiveSession,
  expectNoProblemsBut,
  expectRoom,
  instructorCaller,
  joinRoom,
  markDocument,
  namesOf,
  phaseOf,
  roomStatus,
  settled,
  signInThroughApi,
  roomSuite,
  stillSameDocument,
  tabsIn,
} from "./room-helpers";

const suite = roomSuite();

/** A signed-in user's page in a context of its own (own cookies), opened on the room and joined. */
async function openRoom(email: string, sessionId: string): Promise<E2EPage> {
  const page = await suite.newPage();
  await signInThroughApi(page, suite.e2e.url, email);
  await visit(page, `/sessions/${sessionId}`);
  await joinRoom(page);
  return page;
}

const participantRow = (sessionId: string, email: string) =>
  suite.e2e.server.services.db.sessionParticipant.findFirst({
    where: { sessionId, user: { email } },
    orderBy: { joinedAt: "desc" },
    select: { leftAt: true, leaveReason: true },
  });

describe("the session room", () => {
  test("a student is listed; another user's join, Leave, Rejoin and closed tab show live, without a reload", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Room: joining and leaving");
    const sam = await openRoom("student@livehall.dev", session.id);
    await expectRoom(sam, ["Sam Student"]);
    await markDocument(sam);
    expect(await sam.getByTestId("session-title").textContent()).toBe("Room: joining and leaving");
    expect(await sam.getByText("TypeScript in Practice").first().isVisible()).toBe(true);
    expect(await sam.getByText("Ines Instructor").first().isVisible()).toBe(true);
    expect(await sam.getByTestId("elapsed").textContent()).toMatch(/^Live for\s*\d+:\d{2}/);

    const priya = await openRoom("priya.raman@livehall.dev", session.id);
    await expectRoom(priya, ["Sam Student", "Priya Raman"]);
    await expect.poll(() => countOf(sam)).toBe(2);
    expect((await namesOf(sam)).sort()).toEqual(["Priya Raman", "Sam Student"]);

    // Leave (the button): Priya sees "You left" with Rejoin; Sam sees 1.
    await priya.getByRole("button", { name: "Leave" }).click();
    await priya.getByTestId("left-notice").waitFor();
    expect(await priya.evaluate(() => document.activeElement?.textContent)).toBe("Rejoin");
    await (await settled(priya)).screenshot({ path: path.join(artifactsDir, "room-left-1280.png") });
    await expect.poll(() => countOf(sam)).toBe(1);
    expect(await namesOf(sam)).toEqual(["Sam Student"]);
    expect(await participantRow(session.id, "priya.raman@livehall.dev")).toMatchObject({ leaveReason: "LEFT" });

    // Rejoin, then close the tab: pagehide sends the leave as a beacon.
    await priya.getByRole("button", { name: "Rejoin" }).click();
    await expectRoom(priya, ["Sam Student", "Priya Raman"]);
    await expect.poll(() => countOf(sam)).toBe(2);
    const closedAt = Date.now();
    await priya.close({ runBeforeUnload: true });
    await expect.poll(() => countOf(sam), { timeout: 5_000 }).toBe(1);
    // The beacon's leave (LEFT), well before the 3 s presence timeout would have evicted it (TIMEOUT).
    expect(await participantRow(session.id, "priya.raman@livehall.dev")).toMatchObject({ leaveReason: "LEFT" });
    expect(Date.now() - closedAt).toBeLessThan(3_000);
    expect(await namesOf(sam)).toEqual(["Sam Student"]);

    expect(await stillSameDocument(sam)).toBe(true);
    expect(await phaseOf(sam)).toBe("connected");
    expectNoProblemsBut(sam);
  });

  test("the same user in two tabs is one participant; closing one tab keeps them listed", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Room: two tabs");
    const first = await openRoom("lucas.oliveira@livehall.dev", session.id);
    await expectRoom(first, ["Lucas Oliveira"]);

    const second = (await first.context().newPage()) as E2EPage;
    second.problems = [];
    await visit(second, `/sessions/${session.id}`);
    await joinRoom(second);
    await expectRoom(second, ["Lucas Oliveira"]);
    await expect.poll(() => tabsIn(suite.e2e.server.services, session.id)).toBe(2);
    expect(await countOf(first)).toBe(1);
    expect(
      await suite.e2e.server.services.db.sessionParticipant.count({ where: { sessionId: session.id, leftAt: null } }),
    ).toBe(1);

    await second.close({ runBeforeUnload: true });
    await expect.poll(() => tabsIn(suite.e2e.server.services, session.id)).toBe(1);
    expect(await namesOf(first)).toEqual(["Lucas Oliveira"]);
    expect(await countOf(first)).toBe(1);
    expect(await participantRow(session.id, "lucas.oliveira@livehall.dev")).toMatchObject({ leftAt: null });
    expect(await phaseOf(first)).toBe("connected");
    expectNoProblemsBut(first);
  });

  test("with a 5-second access token, 30 s in the room: no redirect, no error, still connected and listed", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Room: a long stay");
    const page = await openRoom("amara.okafor@livehall.dev", session.id);
    await expectRoom(page, ["Amara Okafor"]);
    await markDocument(page);
    const url = page.url();
    const refreshes: number[] = [];
    page.on("response", (response) => {
      if (response.url().includes("auth.refresh")) refreshes.push(response.status());
    });
    const accessCookie = async () => (await page.context().cookies()).find((cookie) => cookie.name === "lh_at")?.value;
    const firstToken = await accessCookie();

    const phases = new Set<string | null>();
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      phases.add(await phaseOf(page));
      expect(page.url()).toBe(url);
      expect(await page.getByRole("alert").count()).toBe(0);
      await page.waitForTimeout(500);
    }
    expect([...phases]).toEqual(["connected"]);
    expect(await stillSameDocument(page)).toBe(true);
    expect(await namesOf(page)).toEqual(["Amara Okafor"]);
    // Six token lifetimes went by: the tab refreshed underneath, every refresh answered 200.
    expect(refreshes.length).toBeGreaterThanOrEqual(4);
    expect(refreshes.every((status) => status === 200)).toBe(true);
    expect(await accessCookie()).not.toBe(firstToken);
    expect(await participantRow(session.id, "amara.okafor@livehall.dev")).toMatchObject({ leftAt: null });
    expectNoProblemsBut(page);
  }, 60_000);

  test("a network outage longer than two heartbeats shows reconnecting, then recovers by itself; offline too", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Room: outage");
    const noah = await openRoom("noah.kim@livehall.dev", session.id);
    await expectRoom(noah, ["Noah Kim"]);
    const watcher = await openRoom("mei.tanaka@livehall.dev", session.id);
    await expectRoom(watcher, ["Noah Kim", "Mei Tanaka"]);
    await markDocument(noah);

    // Every API request of Noah's tab fails (the open event stream stays, as behind a flaky proxy).
    await noah.route("**/api/trpc/**", (route) => route.abort("failed"));
    await expect.poll(() => phaseOf(noah), { timeout: 5_000 }).toBe("reconnecting");
    expect(await roomStatus(noah).textContent()).toMatch(/Reconnecting/);
    await (await settled(noah)).screenshot({ path: path.join(artifactsDir, "room-reconnecting-1280.png") });
    // Silent for longer than the presence timeout: the worker evicts the tab; the watcher sees it.
    await expect.poll(() => namesOf(watcher), { timeout: 10_000 }).toEqual(["Mei Tanaka"]);
    expect(await participantRow(session.id, "noah.kim@livehall.dev")).toMatchObject({ leaveReason: "TIMEOUT" });
    expect(await phaseOf(noah)).toBe("reconnecting");

    await noah.unroute("**/api/trpc/**");
    await expectRoom(noah, ["Noah Kim", "Mei Tanaka"], { timeout: 20_000 });
    await expect.poll(() => countOf(watcher)).toBe(2);
    expect(await stillSameDocument(noah)).toBe(true);

    // The browser goes offline (the event stream drops too): "Offline", then back by itself.
    await noah.context().setOffline(true);
    await expect.poll(() => phaseOf(noah), { timeout: 5_000 }).toBe("offline");
    await noah.context().setOffline(false);
    await expectRoom(noah, ["Noah Kim", "Mei Tanaka"], { timeout: 15_000 });
    await expect.poll(() => countOf(watcher)).toBe(2);
    expect(await stillSameDocument(noah)).toBe(true);
    expect(new URL(noah.url()).pathname).toBe(`/sessions/${session.id}`);
    expectNoProblemsBut(noah);
    expectNoProblemsBut(watcher);
  });

  test("signed out elsewhere: a clear message and a sign-in link back to the room, never a redirect", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Room: signed out elsewhere");
    const page = await openRoom("jonas.weber@livehall.dev", session.id);
    await expectRoom(page, ["Jonas Weber"]);
    const url = page.url();

    // "Sign out everywhere" from another device: the family is revoked; the room's next call hears it.
    const jonas = await suite.e2e.server.services.db.user.findUniqueOrThrow({
      where: { email: "jonas.weber@livehall.dev" },
      select: { id: true },
    });
    await createCaller(
      createContext(suite.e2e.server.services, {
        user: { id: jonas.id, role: "STUDENT", familyId: crypto.randomUUID() },
      }),
    ).auth.logoutAll();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("You've been signed out");
    // The page knows it too: the header no longer shows the user (the room's status went with it).
    await expect.poll(() => page.getByTestId("signed-in-user").count()).toBe(0);
    expect(page.url()).toBe(url);
    const signInAgain = alert.getByRole("link", { name: "Sign in again" });
    expect(await signInAgain.getAttribute("href")).toBe(
      `/login?${new URLSearchParams({ redirectTo: `/sessions/${session.id}` })}`,
    );
    await (await settled(page)).screenshot({ path: path.join(artifactsDir, "room-signed-out-1280.png") });

    // The link returns to the room, back on the pre-join screen: Join joins again.
    await signInAgain.click();
    await page.waitForURL((next) => next.pathname === "/login");
    await page.getByLabel("Email").fill("jonas.weber@livehall.dev");
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((next) => next.pathname === `/sessions/${session.id}`);
    await joinRoom(page);
    await expectRoom(page, ["Jonas Weber"]);
    expectNoProblemsBut(page);
  });

  test("the instructor ends the session: the room says so and offers the rating form; the rating shows on /sessions", async () => {
    const { session, instructorId } = await createLiveSession(suite.e2e.server.services, "Room: the end and a rating");
    // Diego signs in now but opens the room only after it ended: he never attends.
    const diego = await suite.newPage();
    const [sofia] = await Promise.all([
      openRoom("sofia.rossi@livehall.dev", session.id),
      signInThroughApi(diego, suite.e2e.url, "diego.santos@livehall.dev"),
    ]);
    await expectRoom(sofia, ["Sofia Rossi"]);
    await markDocument(sofia);
    // Rating takes a minute of attendance: Sofia has been in the room for two.
    await suite.e2e.server.services.db.sessionParticipant.updateMany({
      where: { sessionId: session.id },
      data: { joinedAt: new Date(Date.now() - 2 * 60_000) },
    });

    await instructorCaller(suite.e2e.server.services, instructorId).session.end({ sessionId: session.id });
    await sofia.getByTestId("ended-notice").waitFor();
    expect(await sofia.getByRole("heading", { name: "This session has ended" }).isVisible()).toBe(true);
    expect(await stillSameDocument(sofia)).toBe(true);
    expect(await sofia.getByTestId("connection-status").count()).toBe(0);

    // The form comes with the page's data reloaded after the end (it says whether she may rate).
    await sofia.getByTestId("rating").waitFor();
    const stars = sofia.getByRole("group", { name: "Stars" });
    expect(await stars.getByRole("radio").count()).toBe(5);
    await stars.getByRole("radio", { name: "4 stars" }).check();
    await sofia.getByLabel("Comment").fill("Clear and well paced.");
    await sofia.getByRole("button", { name: "Save rating" }).click();
    await expect.poll(() => sofia.getByTestId("saved-rating").textContent()).toContain("4 out of 5");
    expect(await seriousViolations(sofia, "ended room with the rating form")).toEqual([]);
    await (await settled(sofia)).screenshot({ path: path.join(artifactsDir, "room-ended-1280.png") });

    // Attendees can change it.
    await stars.getByRole("radio", { name: "5 stars" }).check();
    await sofia.getByRole("button", { name: "Update rating" }).click();
    await expect.poll(() => sofia.getByTestId("saved-rating").textContent()).toContain("5 out of 5");
    const saved = await suite.e2e.server.services.db.sessionRating.findMany({
      where: { sessionId: session.id },
      select: { stars: true, comment: true },
    });
    expect(saved).toEqual([{ stars: 5, comment: "Clear and well paced." }]);

    // The ended card on /sessions shows it.
    await visit(sofia, "/sessions?tab=ended");
    const card = sofia
      .getByTestId("session-card")
      .filter({ has: sofia.getByRole("heading", { name: "Room: the end and a rating" }) });
    await expect.poll(() => card.getByRole("img").getAttribute("aria-label")).toBe("5 out of 5");
    expect(await card.textContent()).toContain("(1)");

    // Someone who never attended is not offered the form, and is told why.
    await visit(diego, `/sessions/${session.id}`);
    await expect
      .poll(() => diego.getByRole("status").filter({ hasText: "Rating this session" }).textContent())
      .toContain("Only people who attended this session can rate it.");
    expect(await diego.getByRole("group", { name: "Stars" }).count()).toBe(0);
    expectNoProblemsBut(sofia);
  });

  test("axe-core finds no serious or critical violations in the room; screenshots at 375 and 1280 px", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Generics without the headache — live Q&A");
    const phone = await suite.newPage({ viewport: { width: 375, height: 812 } });
    const [jonas] = await Promise.all([
      openRoom("jonas.weber@livehall.dev", session.id),
      signInThroughApi(phone, suite.e2e.url, "student@livehall.dev")
        .then(() => visit(phone, `/sessions/${session.id}`))
        .then(() => joinRoom(phone)),
    ]);
    const found = [];
    await expectRoom(phone, ["Jonas Weber", "Sam Student"]);
    await expectRoom(jonas, ["Jonas Weber", "Sam Student"]);

    // Each page renders in its own process: check and shoot both at once.
    for (const violations of await Promise.all([
      seriousViolations(jonas, "room at 1280 px"),
      seriousViolations(phone, "room at 375 px"),
    ])) {
      found.push(...violations);
    }
    await Promise.all([
      settled(jonas).then((page) =>
        page.screenshot({ path: path.join(artifactsDir, "room-1280.png"), fullPage: true }),
      ),
      settled(phone).then((page) => page.screenshot({ path: path.join(artifactsDir, "room-375.png"), fullPage: true })),
    ]);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    // Keyboard: Tab reaches Leave, and it shows a focus ring (after the header's links and the course's).
    let reached = false;
    for (let i = 0; i < 25 && !reached; i++) {
      await jonas.keyboard.press("Tab");
      reached = await jonas.evaluate(() => document.activeElement?.getAttribute("data-testid") === "leave");
    }
    expect(reached).toBe(true);
    expect(await jonas.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe("solid");

    // Signed out: the anonymous page of the room links to sign-in and back.
    const anonymous = await suite.newPage();
    await visit(anonymous, `/sessions/${session.id}`);
    const signInLink = anonymous.getByRole("link", { name: "Sign in to join" });
    expect(await signInLink.getAttribute("href")).toBe(
      `/login?${new URLSearchParams({ redirectTo: `/sessions/${session.id}` })}`,
    );
    found.push(...(await seriousViolations(anonymous, "room signed out")));
    expect(found).toEqual([]);
    expectNoProblemsBut(jonas);
    expectNoProblemsBut(phone);
  });
});
