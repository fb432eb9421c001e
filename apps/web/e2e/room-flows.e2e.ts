import { describe, expect, test } from "vitest";
import { screenshot, seriousViolations, visit, type E2EPage } from "./harness";
import {
  createLiveSession,
  expectNoProblemsBut,
  expectRoom,
  joinRoom,
  namesOf,
  phaseOf,
  settled,
  signInThroughApi,
  roomSuite,
} from "./room-helpers";

const suite = roomSuite();

async function signedIn(email: string): Promise<E2EPage> {
  const page = await suite.newPage();
  await signInThroughApi(page, suite.e2e.url, email);
  return page;
}

/** Another tab of the same browser (same cookies, its own sessionStorage: its own connection). */
async function anotherTab(page: E2EPage): Promise<E2EPage> {
  const tab = (await page.context().newPage()) as E2EPage;
  tab.problems = [];
  return tab;
}

const rowsOf = (sessionId: string, email: string) =>
  suite.e2e.server.services.db.sessionParticipant.findMany({
    where: { sessionId, user: { email } },
    orderBy: { joinedAt: "asc" },
    select: { leftAt: true, leaveReason: true },
  });
const activeRowsOf = async (sessionId: string, email: string) =>
  (await rowsOf(sessionId, email)).filter((row) => row.leftAt === null).length;

/** The pre-join screen, hydrated and following the room (its stream open). */
async function preJoinReady(page: E2EPage) {
  await page.locator('[data-testid="pre-join"][data-stream="open"]').waitFor({ timeout: 15_000 });
  await page.locator('[data-testid="join"]:not([disabled])').waitFor();
}

/** Logs when an outcome was seen (the spec asserts outcomes, never timings). */
function seen(what: string, since: number) {
  console.log(`room flows: ${what} after ${Date.now() - since} ms`);
}

describe("room flows", () => {
  test("opening the room URL, reloading, and Back after leaving never join: no participant row until Join", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Flows: the pre-join screen");
    const email = "priya.raman@livehall.dev";
    const priya = await signedIn(email);
    const other = await signedIn("mei.tanaka@livehall.dev");

    const since = Date.now();
    await visit(priya, `/sessions/${session.id}`);
    await preJoinReady(priya);
    expect(await priya.getByRole("heading", { name: "Ready to join?" }).isVisible()).toBe(true);
    expect(await priya.getByTestId("pre-join").textContent()).toContain("with Ines Instructor");
    // The room goes on while she waits: someone else's join shows on her screen…
    await visit(other, `/sessions/${session.id}`);
    await joinRoom(other);
    await expect
      .poll(() => priya.getByTestId("pre-join-who").textContent(), { timeout: 10_000 })
      .toBe("Mei Tanaka is here.");
    seen("another join on the pre-join screen", since);
    expect(await priya.getByTestId("waiting-for-instructor").textContent()).toContain("Ines Instructor");
    // …and she is not in it.
    expect(await rowsOf(session.id, email)).toEqual([]);
    expect(await namesOf(other)).toEqual(["Mei Tanaka"]);

    await screenshot(priya, "room-pre-join", 390);
    await screenshot(priya, "room-pre-join");
    expect(await seriousViolations(priya, "pre-join screen")).toEqual([]);

    // A reload is the pre-join screen again.
    await priya.reload();
    await preJoinReady(priya);
    expect(await rowsOf(session.id, email)).toEqual([]);

    // Join, then Leave: one visit, closed LEFT.
    await joinRoom(priya);
    await expectRoom(priya, ["Mei Tanaka", "Priya Raman"]);
    expect(await activeRowsOf(session.id, email)).toBe(1);
    await priya.getByTestId("leave").click();
    await priya.getByTestId("left-notice").waitFor();
    await expect.poll(() => rowsOf(session.id, email)).toEqual([{ leftAt: expect.any(Date), leaveReason: "LEFT" }]);

    // Away to the sessions list and Back: the pre-join screen, still not in.
    await priya.getByRole("link", { name: "All sessions" }).click();
    await priya.waitForURL((url) => url.pathname === "/sessions");
    await priya.goBack();
    await priya.waitForURL((url) => url.pathname === `/sessions/${session.id}`);
    await preJoinReady(priya);
    await expect.poll(() => namesOf(other)).toEqual(["Mei Tanaka"]);
    expect(await activeRowsOf(session.id, email)).toBe(0);
    expect(await rowsOf(session.id, email)).toHaveLength(1);
    seen("Back after leaving: still out", since);
    expectNoProblemsBut(priya);
  });

  test("Leave in one of two tabs leaves both, and the instructor's control page drops the student", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Flows: leave means leave");
    const email = "lucas.oliveira@livehall.dev";
    const teacher = await signedIn("instructor@livehall.dev");
    await visit(teacher, `/teach/sessions/${session.id}`);
    await teacher.locator('[data-testid="participants-live"][data-stream="open"]').waitFor({ timeout: 15_000 });
    expect(await teacher.getByTestId("open-room").getAttribute("target")).toBe("_blank");
    expect(await teacher.getByTestId("open-room").getAttribute("rel")).toBe("noopener");

    const first = await signedIn(email);
    const second = await anotherTab(first);
    for (const tab of [first, second]) {
      await visit(tab, `/sessions/${session.id}`);
      await joinRoom(tab);
      await expectRoom(tab, ["Lucas Oliveira"]);
    }
    // The instructor's control page is open, but the instructor is not in the room.
    expect(await first.getByTestId("waiting-for-instructor").isVisible()).toBe(true);
    const row = teacher.getByTestId("participant-row").filter({ hasText: "Lucas Oliveira" });
    await row.waitFor({ timeout: 10_000 });

    const since = Date.now();
    await first.getByTestId("leave").click();
    await expect.poll(() => phaseOf(second), { timeout: 10_000 }).toBe("left");
    seen("the other tab out", since);
    expect(await second.getByTestId("left-notice").textContent()).toContain("You left this session in another tab.");
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    seen("the control page without the student", since);
    expect(await teacher.getByTestId("participant-count").textContent()).toBe("0");
    expect(await rowsOf(session.id, email)).toEqual([{ leftAt: expect.any(Date), leaveReason: "LEFT" }]);

    // The other tab stays out on its own (its heartbeats keep answering "left") until Rejoin there.
    await second.getByRole("button", { name: "Rejoin" }).click();
    await expectRoom(second, ["Lucas Oliveira"]);
    expect(await phaseOf(first)).toBe("left");
    expect(await activeRowsOf(session.id, email)).toBe(1);
    expectNoProblemsBut(first);
    expectNoProblemsBut(second);
  });

  test("the instructor removes a student in the room: every tab of theirs is out, and they stay out until let back in", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Flows: remove and let back in");
    const email = "noah.kim@livehall.dev";
    const host = await signedIn("instructor@livehall.dev");
    const noah = await signedIn(email);
    const noahTwo = await anotherTab(noah);
    for (const tab of [noah, noahTwo]) {
      await visit(tab, `/sessions/${session.id}`);
      await joinRoom(tab);
      await expectRoom(tab, ["Noah Kim"]);
      expect(await tab.getByTestId("waiting-for-instructor").isVisible()).toBe(true);
    }
    await visit(host, `/sessions/${session.id}`);
    await joinRoom(host);
    await expectRoom(host, ["Ines Instructor", "Noah Kim"]);
    // The instructor is in: nobody waits any more.
    await expect.poll(() => noah.getByTestId("waiting-for-instructor").count()).toBe(0);
    expect(await host.getByTestId("control-page-link").getAttribute("target")).toBe("_blank");

    await screenshot(host, "room-host", 390);
    await screenshot(host, "room-host");
    expect(await seriousViolations(host, "the instructor's room")).toEqual([]);

    // End asks first, and says what happens to the people in the room.
    await host.getByRole("button", { name: "End session" }).click();
    const endDialog = host.getByRole("dialog", { name: "End this session for everyone?" });
    await endDialog.waitFor();
    expect(await endDialog.textContent()).toContain(
      "Everyone in the room (2 people) will see that the session has ended.",
    );
    await endDialog.getByRole("button", { name: "Keep it live" }).click();

    const since = Date.now();
    await host.getByRole("button", { name: "Remove Noah Kim from this session" }).click();
    const dialog = host.getByRole("dialog", { name: "Remove Noah Kim from this session?" });
    await dialog.getByRole("button", { name: "Remove" }).click();
    for (const tab of [noah, noahTwo]) {
      await expect.poll(() => phaseOf(tab), { timeout: 10_000 }).toBe("removed");
      expect(await tab.getByRole("alert").textContent()).toContain("The instructor removed you from this session");
    }
    seen("both tabs removed", since);
    await expect.poll(() => namesOf(host), { timeout: 10_000 }).toEqual(["Ines Instructor"]);
    expect(await rowsOf(session.id, email)).toEqual([{ leftAt: expect.any(Date), leaveReason: "REMOVED" }]);

    // Trying again is refused while removed.
    const refused = noah.waitForResponse((response) => response.url().includes("session.join"));
    await noah.getByRole("button", { name: "Try to join again" }).click();
    expect((await refused).status()).toBe(403);
    // The page reads the answer after the browser has it: wait for the tab's own handling of it.
    await expect.poll(() => phaseOf(noah), { timeout: 10_000 }).toBe("removed");
    expect(await activeRowsOf(session.id, email)).toBe(0);

    // Let back in from the control page; then Noah's Join works.
    const control = await anotherTab(host);
    await visit(control, `/teach/sessions/${session.id}`);
    const removed = control.getByTestId("removed-row").filter({ hasText: "Noah Kim" });
    await removed.waitFor();
    await removed.getByRole("button", { name: "Let Noah Kim back in" }).click();
    await expect.poll(() => removed.count(), { timeout: 10_000 }).toBe(0);
    expect(await suite.e2e.server.services.db.sessionRemoval.count({ where: { sessionId: session.id } })).toBe(0);
    await noah.getByRole("button", { name: "Try to join again" }).click();
    await expectRoom(noah, ["Ines Instructor", "Noah Kim"]);
    await expect.poll(() => control.getByTestId("participant-row").filter({ hasText: "Noah Kim" }).count()).toBe(1);
    seen("back in after being let back in", since);
    await settled(noah);
    expectNoProblemsBut(noah, /net::ERR_|status of 403/);
    expectNoProblemsBut(host);
  });
});
