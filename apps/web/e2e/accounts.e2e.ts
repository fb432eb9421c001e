import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { e2eSuite, expectNoProblems, pathOf, screenshot, seriousViolations, signIn, visit } from "./harness";
import { ROOM_TIMINGS, createLiveSession, expectRoom, joinRoom, signInThroughApi } from "./room-helpers";

// Heartbeats every second: the rooms below see a disabled account within a beat.
Object.assign(process.env, ROOM_TIMINGS);

const suite = e2eSuite();

const PASSWORD = "a long enough password";

/** Prints when an outcome was seen (tests wait for outcomes; they never assert timings). */
async function seen<T>(what: string, since: number, outcome: Promise<T>): Promise<T> {
  const value = await outcome;
  console.log(`${what}: seen after ${Date.now() - since} ms`);
  return value;
}

const mainNav = (page: Page) => page.getByRole("navigation", { name: "Main" }).first();

describe("accounts: becoming an instructor, and accounts an admin manages", () => {
  test("a new user asks to teach, an admin approves, and the user lands on /teach and creates a course", async () => {
    const nora = await suite.e2e.newPage();
    await visit(nora, "/signup");
    await nora.getByLabel("Name").fill("Nora Newcomer");
    await nora.getByLabel("Email").fill("nora@example.test");
    await nora.getByLabel("Password").fill(PASSWORD);
    await nora.getByRole("button", { name: "Create account" }).click();
    await nora.waitForURL((url) => url.pathname === "/sessions");

    // The way to teach is in the navigation; the request form is plain.
    await mainNav(nora).getByRole("link", { name: "Teach on Livehall" }).click();
    await nora.waitForURL((url) => url.pathname === "/account/teach");
    await nora.getByLabel("What would you like to teach? (optional)").fill("Product design critique for beginners.");
    await screenshot(nora, "account-teach-request", 390);
    await screenshot(nora, "account-teach-request");
    expect(await seriousViolations(nora, "/account/teach (form)")).toEqual([]);
    await nora.getByRole("button", { name: "Send request" }).click();
    await nora.getByText("Your request is waiting for an admin").waitFor();
    // Only admins reach user management.
    expect((await nora.goto("/admin/users"))?.status()).toBe(403);
    await nora.getByRole("heading", { level: 1, name: "This page is for admins" }).waitFor();

    // Admins land on /admin, where the request waits with a count.
    const admin = await suite.e2e.newPage();
    await signIn(admin, "admin@livehall.dev");
    expect(pathOf(admin)).toBe("/admin");
    const requests = admin.getByTestId("role-requests");
    await requests.getByText("Product design critique for beginners.").waitFor();
    expect(await mainNav(admin).getByRole("link", { name: /Admin/ }).textContent()).toContain("1");
    await screenshot(admin, "admin-requests", 390);
    await screenshot(admin, "admin-requests");
    expect(await seriousViolations(admin, "/admin (a request to teach)")).toEqual([]);
    await requests.getByLabel("Message to them (optional)").fill("Welcome aboard!");
    await requests.getByRole("button", { name: "Approve Nora Newcomer" }).click();
    await admin.getByText("Approved: Nora Newcomer can teach from their next page load.").waitFor();
    await expect.poll(() => requests.count()).toBe(0);

    // No sign-out: the next page load knows the new role.
    await visit(nora, "/account/teach");
    await nora.getByText("You can teach on Livehall").waitFor();
    await nora.getByRole("link", { name: "Go to Teach" }).click();
    await nora.waitForURL((url) => url.pathname === "/teach");
    await nora.getByLabel("Title", { exact: true }).fill("Critique Club");
    await nora.getByRole("button", { name: "Create course" }).click();
    await nora.waitForURL((url) => url.pathname.startsWith("/teach/courses/"));
    await nora.getByRole("heading", { level: 1, name: "Critique Club" }).waitFor();

    // Signing in again, an instructor lands on /teach.
    await nora.getByRole("button", { name: "Sign out" }).click();
    await nora.waitForURL((url) => url.pathname === "/login");
    await signIn(nora, "nora@example.test", PASSWORD);
    expect(pathOf(nora)).toBe("/teach");

    // The audit log on /admin/users recorded the approval, once.
    await visit(admin, "/admin/users?q=nora");
    const audit = admin.getByTestId("audit-log");
    expect(await audit.getByText("approved the request to teach (student → instructor)").count()).toBe(1);
    expectNoProblems(nora);
    expectNoProblems(admin);
  });

  test("an admin disables a student with the room open in two tabs: both tabs show it, and the tokens stop working", async () => {
    const { session } = await createLiveSession(suite.e2e.server.services, "Disabling mid-class");
    const db = suite.e2e.server.services.db;
    const dana = await db.user.create({
      data: {
        email: "dana@example.test",
        name: "Dana Disabled",
        passwordHash: (await db.user.findUniqueOrThrow({ where: { email: "student@livehall.dev" } })).passwordHash,
      },
    });
    // A student of the course (the room is its students': docs/decisions/020).
    await db.enrollment.create({ data: { courseId: session.courseId, userId: dana.id, source: "SELF" } });
    const tabOne = await suite.e2e.newPage();
    await signInThroughApi(tabOne, suite.e2e.url, "dana@example.test");
    const tabTwo = await tabOne.context().newPage();
    for (const tab of [tabOne, tabTwo]) {
      await visit(tab, `/sessions/${session.id}`);
      await joinRoom(tab);
      await expectRoom(tab, ["Dana Disabled"]);
    }
    const cookies = await tabOne.context().cookies();

    const admin = await suite.e2e.newPage();
    await signIn(admin, "admin@livehall.dev", undefined, "/login?redirectTo=%2Fadmin%2Fusers%3Fq%3Ddana");
    await admin.getByTestId("user-list").getByText("Dana Disabled", { exact: true }).waitFor();
    await screenshot(admin, "admin-users", 390);
    await screenshot(admin, "admin-users");
    expect(await seriousViolations(admin, "/admin/users")).toEqual([]);

    const since = Date.now();
    await admin.getByRole("button", { name: "Disable Dana Disabled" }).click();
    await admin.getByRole("dialog").getByRole("button", { name: "Disable account" }).click();
    await admin.getByText("Dana Disabled is disabled and signed out everywhere.").waitFor();

    for (const [name, tab] of [
      ["first tab", tabOne],
      ["second tab", tabTwo],
    ] as const) {
      await seen(
        `${name}: the sign-out message`,
        since,
        tab.getByTestId("signed-out-message").waitFor({ timeout: 20_000 }),
      );
      await seen(
        `${name}: the header without the user`,
        since,
        expect.poll(() => tab.getByTestId("signed-in-user").count(), { timeout: 20_000 }).toBe(0),
      );
      expect(await tab.getByRole("button", { name: "Leave" }).count()).toBe(0);
    }

    // The cookies the tabs had are refused: no page, no procedure works with them.
    const stranger = await suite.e2e.newPage();
    await stranger.context().addCookies(cookies);
    const me = await stranger.context().request.get(`${suite.e2e.url}/api/trpc/auth.me`);
    expect(me.status()).toBe(401);
    const participants = await db.sessionParticipant.count({
      where: { sessionId: session.id, user: { email: "dana@example.test" }, leftAt: null },
    });
    expect(participants).toBe(0);
    expectNoProblems(admin);
  });
});
