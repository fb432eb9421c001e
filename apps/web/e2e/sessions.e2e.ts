import { randomUUID } from "node:crypto";
import { createCaller, createContext } from "@livehall/api";
import { seedId } from "@livehall/db/seed";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TEST_REFRESH_SECONDS, expectNoProblems, pathOf, startE2E, visit, waitForHydration, type E2E } from "./harness";

let e2e: E2E;

beforeAll(async () => {
  // Open pages refresh every second here, so a join shows within about a second.
  e2e = await startE2E({ refreshSeconds: TEST_REFRESH_SECONDS });
});
afterAll(() => e2e?.close());

// The demo data (packages/db/src/seed.ts): 2 live, 4 upcoming, 4 ended and 1 cancelled session.
const LIVE = ["Gradient descent, live-coded", "Generics without the headache"];
const UPCOMING = [
  "Indexes that actually help",
  "Keyboard navigation and focus management",
  "Designing a rate limiter",
  "Type-safe APIs with zod and tRPC",
];
const ENDED = [
  "Transactions and isolation levels",
  "Linear regression from scratch",
  "Screen readers 101",
  "Narrowing and discriminated unions",
];
const CANCELLED = ["Caching strategies"];
/** The ended tab: ended and cancelled together, latest first (a cancelled one by its planned start). */
const ENDED_TAB = [ENDED[0]!, ...CANCELLED, ...ENDED.slice(1)];

const cards = (page: Page) => page.getByTestId("session-card");
const titles = (page: Page) => cards(page).locator("h3").allTextContents();
const statuses = async (page: Page) =>
  new Set(await cards(page).evaluateAll((all) => all.map((card) => card.getAttribute("data-status"))));
const card = (page: Page, title: string) => cards(page).filter({ has: page.getByRole("heading", { name: title }) });

/** Waits until the grid shows exactly `expected` (in this order). */
async function expectTitles(page: Page, expected: string[]) {
  await expect.poll(() => titles(page), { timeout: 10_000 }).toEqual(expected);
}

async function search(page: Page, text: string) {
  await page.getByRole("searchbox", { name: "Search sessions" }).fill(text);
  await page.getByRole("searchbox", { name: "Search sessions" }).press("Enter");
}

describe("the live-sessions page", () => {
  test("each tab filters the seeded sessions, in the URL and across a reload; Load more pages with the cursor", async () => {
    const page = await e2e.newPage();
    await visit(page, "/");
    expect(pathOf(page)).toBe("/sessions");
    // All: live first, then upcoming, ended, cancelled; nine per page.
    const everything = [...LIVE, ...UPCOMING, ...ENDED, ...CANCELLED];
    await expectTitles(page, everything.slice(0, 9));
    expect(await page.getByRole("tab", { name: "All" }).getAttribute("aria-selected")).toBe("true");
    await page.getByRole("button", { name: "Load more sessions" }).click();
    await expectTitles(page, everything);
    expect(await page.getByRole("button", { name: "Load more sessions" }).count()).toBe(0);

    for (const [tab, expected, expectedStatuses] of [
      ["Live", LIVE, ["LIVE"]],
      ["Upcoming", UPCOMING, ["SCHEDULED"]],
      ["Ended", ENDED_TAB, ["ENDED", "CANCELLED"]],
    ] as const) {
      await page.getByRole("tab", { name: tab }).click();
      await page.waitForURL((url) => url.search === `?tab=${tab.toLowerCase()}`);
      await expectTitles(page, [...expected]);
      expect(await statuses(page)).toEqual(new Set(expectedStatuses));
      expect(await page.getByRole("tab", { name: tab }).getAttribute("aria-selected")).toBe("true");
    }

    await page.reload();
    await waitForHydration(page);
    expect(pathOf(page)).toBe("/sessions?tab=ended");
    await expectTitles(page, ENDED_TAB);
    expect(await page.getByRole("tab", { name: "Ended" }).getAttribute("aria-selected")).toBe("true");

    // Each status has its action; ratings are read out as "x out of 5".
    const transactions = card(page, "Transactions and isolation levels");
    expect(await transactions.getByRole("img").getAttribute("aria-label")).toBe("4.3 out of 5");
    const rate = transactions.getByRole("link", { name: "Rate: Transactions and isolation levels" });
    expect(await rate.getAttribute("href")).toBe(`/sessions/${seedId("session:ended-transactions")}#rate`);
    await page.getByRole("tab", { name: "Live" }).click();
    await page.waitForURL((url) => url.search === "?tab=live");
    const join = card(page, "Generics without the headache").getByRole("link", {
      name: "Join: Generics without the headache",
    });
    expect(await join.getAttribute("href")).toBe(`/sessions/${seedId("session:live-generics")}`);
    expect(await card(page, "Generics without the headache").getByText("LIVE", { exact: true }).isVisible()).toBe(true);
    expectNoProblems(page);
  });

  test("search matches title, course and instructor within the tab, in the URL and across a reload", async () => {
    const page = await e2e.newPage();
    await visit(page, "/sessions?tab=upcoming");
    await search(page, "marcus");
    await page.waitForURL((url) => url.search === "?q=marcus&tab=upcoming");
    await expectTitles(page, ["Designing a rate limiter"]);

    await page.reload();
    await waitForHydration(page);
    expect(pathOf(page)).toBe("/sessions?q=marcus&tab=upcoming");
    await expectTitles(page, ["Designing a rate limiter"]);
    expect(await page.getByRole("searchbox", { name: "Search sessions" }).inputValue()).toBe("marcus");

    // Switching tabs keeps the search (instructor name: Marcus Chen's four sessions).
    await page.getByRole("tab", { name: "All" }).click();
    await page.waitForURL((url) => url.search === "?q=marcus");
    await expectTitles(page, [
      "Gradient descent, live-coded",
      "Designing a rate limiter",
      "Linear regression from scratch",
      "Caching strategies",
    ]);

    // Course title.
    await search(page, "TypeScript");
    await page.waitForURL((url) => url.search === "?q=TypeScript");
    await expectTitles(page, [
      "Generics without the headache",
      "Type-safe APIs with zod and tRPC",
      "Narrowing and discriminated unions",
    ]);

    // Nothing found: an empty state that offers to clear the search.
    await search(page, "quantum knitting");
    await page.getByRole("heading", { name: "No sessions match “quantum knitting”" }).waitFor();
    expect(await cards(page).count()).toBe(0);
    await page.getByRole("link", { name: "Clear search" }).first().click();
    await page.waitForURL((url) => url.search === "");
    await expect.poll(() => cards(page).count()).toBe(9);
    expect(await page.getByRole("searchbox", { name: "Search sessions" }).inputValue()).toBe("");
    expectNoProblems(page);
  });

  test("the page is rendered on the server: search and tabs work without JavaScript", async () => {
    const page = await e2e.newPage({ javaScriptEnabled: false });
    await page.goto("/sessions?q=typescript&tab=ended");
    expect(await titles(page)).toEqual(["Narrowing and discriminated unions"]);
    await page.getByRole("searchbox", { name: "Search sessions" }).fill("screen");
    await page.getByRole("searchbox", { name: "Search sessions" }).press("Enter");
    await page.waitForURL((url) => url.searchParams.get("q") === "screen");
    expect(new URL(page.url()).searchParams.get("tab")).toBe("ended");
    expect(await titles(page)).toEqual(["Screen readers 101"]);
    await page.getByRole("tab", { name: "All" }).click();
    await page.waitForURL((url) => url.search === "?q=screen");
    expect(await titles(page)).toEqual(["Screen readers 101"]);
    // Before hydration times are UTC, in <time dateTime> (the browser upgrades them to local time).
    const time = page.getByTestId("absolute-time").first();
    expect(await time.textContent()).toMatch(/^\w{3}, \w{3} \d{1,2}, \d{2}:\d{2} UTC$/);
    expect(new Date((await time.getAttribute("datetime"))!).toISOString()).toBe(await time.getAttribute("datetime"));
  });

  test("a join by another user through the API shows on the open page within seconds, without a reload", async () => {
    const page = await e2e.newPage();
    await visit(page, "/sessions?tab=live");
    const gradient = card(page, "Gradient descent, live-coded");
    expect(await gradient.getByTestId("participant-count").textContent()).toBe("4");
    expect(await page.getByTestId("stat-participants-value").textContent()).toBe("10");
    // Survives only as long as the document does: a reload would drop it.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

    const { db } = e2e.server.services;
    const student = await db.user.create({
      data: {
        email: `late-${randomUUID().slice(0, 8)}@example.test`,
        name: "Late Student",
        passwordHash: "x",
        role: "STUDENT",
      },
    });
    const asStudent = createCaller(
      createContext(e2e.server.services, { user: { id: student.id, role: "STUDENT", familyId: randomUUID() } }),
    );
    const joinedAt = Date.now();
    await asStudent.session.join({
      sessionId: seedId("session:live-gradient-descent"),
      connectionId: `tab-${randomUUID()}`,
    });

    await expect
      .poll(() => gradient.getByTestId("participant-count").textContent(), { timeout: 5_000, interval: 100 })
      .toBe("5");
    const seenAfterMs = Date.now() - joinedAt;
    expect(seenAfterMs).toBeLessThan(5_000);
    await expect.poll(() => page.getByTestId("stat-participants-value").textContent(), { timeout: 5_000 }).toBe("11");
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    console.log(`join visible on the open page after ${seenAfterMs} ms (refresh every ${TEST_REFRESH_SECONDS} s)`);
    expectNoProblems(page);
  });

  test("ARIA tabs: one tab stop, arrow keys move between tabs, Enter opens one", async () => {
    const page = await e2e.newPage();
    await visit(page, "/sessions");
    const tablist = page.getByRole("tablist", { name: "Filter sessions by status" });
    expect(await tablist.getByRole("tab").count()).toBe(4);
    const panel = page.getByRole("tabpanel");
    expect(await panel.getAttribute("aria-labelledby")).toBe(
      await page.getByRole("tab", { name: "All" }).getAttribute("id"),
    );
    expect(await page.getByRole("tab", { name: "All" }).getAttribute("tabindex")).toBe("0");
    expect(await page.getByRole("tab", { name: "Live" }).getAttribute("tabindex")).toBe("-1");

    await page.getByRole("tab", { name: "All" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Upcoming");
    await page.keyboard.press("End");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Ended");
    await page.keyboard.press("ArrowRight");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("All");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => url.search === "?tab=ended");
    await expect.poll(() => page.getByRole("tab", { name: "Ended" }).getAttribute("aria-selected")).toBe("true");
    expect(await panel.getAttribute("aria-labelledby")).toBe("sessions-tab-ended");
    expectNoProblems(page);
  });

  test("start times are relative and absolute in the viewer's time zone", async () => {
    const page = await e2e.newPage({ timezoneId: "Asia/Tokyo", locale: "en-US" });
    await visit(page, "/sessions?tab=upcoming");
    const indexes = card(page, "Indexes that actually help");
    expect(await indexes.getByText(/^Starts in 3 hours$/).count()).toBe(1);
    const time = indexes.getByTestId("absolute-time");
    const iso = (await time.getAttribute("datetime"))!;
    const inTokyo = await page.evaluate(
      (value) =>
        new Intl.DateTimeFormat("en-US", {
          weekday: "short",
          month: "short",
          day: "numeric",
          hour: "numeric",
          minute: "2-digit",
          timeZoneName: "short",
          timeZone: "Asia/Tokyo",
        }).format(new Date(value)),
      iso,
    );
    await expect.poll(() => time.textContent()).toBe(inTokyo);
    expect(inTokyo).toContain("GMT+9");

    await visit(page, "/sessions?tab=live");
    const live = card(page, "Gradient descent, live-coded");
    expect(await live.getByText(/^Started \d+ min ago$/).count()).toBe(1);
    expectNoProblems(page);
  });

  test("switching tabs shows loading skeletons until the new results arrive", async () => {
    const page = await e2e.newPage();
    await visit(page, "/sessions");
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/sessions.data*", async (route) => {
      if (new URL(route.request().url()).searchParams.get("tab") === "upcoming") await held;
      await route.continue();
    });
    await page.getByRole("tab", { name: "Upcoming" }).click();
    await page.getByTestId("session-card-skeleton").first().waitFor();
    // The chosen tab shows as selected at once.
    expect(await page.getByRole("tab", { name: "Upcoming" }).getAttribute("aria-selected")).toBe("true");
    expect(await page.getByRole("tabpanel").locator("[aria-busy='true']").count()).toBe(1);
    release();
    await expectTitles(page, UPCOMING);
    expect(await page.getByTestId("session-card-skeleton").count()).toBe(0);
    expectNoProblems(page);
  });
});
