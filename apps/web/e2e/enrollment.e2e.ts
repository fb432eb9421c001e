import { sendSessionMail } from "@livehall/api";
import { DEMO_PASSWORD_HASH } from "@livehall/db/seed";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  expectNoProblems,
  screenshot,
  seriousViolations,
  startE2E,
  visit,
  waitForHydration,
  type E2E,
  type E2EPage,
} from "./harness";
import { phaseOf, signInThroughApi } from "./room-helpers";

/**
 * Enrollment as a student meets it (docs/decisions/020): a closed course's live session says how to
 * get in; an open course is joined from its page and its live session entered; /schedule shows it
 * in the browser's own time zone, rendered so by the server (the time-zone hint), not changed after.
 */
let e2e: E2E;
const ZONE = "America/Sao_Paulo";
const sessions = { closed: "", open: "" };

beforeAll(async () => {
  e2e = await startE2E();
  const { db } = e2e.server.services;
  const course = (slug: string) => db.course.findUniqueOrThrow({ where: { slug } });
  const startedAt = new Date(Date.now() - 7 * 60_000);
  const live = async (slug: string, title: string) =>
    (
      await db.liveSession.create({
        data: {
          courseId: (await course(slug)).id,
          title,
          status: "LIVE",
          startsAt: startedAt,
          startedAt,
          plannedDurationMinutes: 60,
        },
      })
    ).id;
  sessions.closed = await live("staff-engineering-circle", "Saying no to a roadmap");
  sessions.open = await live("web-accessibility-fundamentals", "Focus traps, live");
  await db.user.create({
    data: { email: "rita@example.test", name: "Rita Novak", passwordHash: DEMO_PASSWORD_HASH, role: "STUDENT" },
  });
});
afterAll(() => e2e?.close());

const SHOTS = [375, 390, 1280];

async function checked(page: E2EPage, name: string) {
  const found = await seriousViolations(page, name);
  for (const width of SHOTS) await screenshot(page, name, width);
  await page.setViewportSize({ width: 1280, height: 900 });
  return found;
}

describe("a student and enrollment", () => {
  test("a closed course's session says whom to ask; an open course is joined from its page; /schedule shows its session in the student's time zone", async () => {
    // A browser in São Paulo, on its very first page: the hint script sets the time-zone cookie.
    const page = await e2e.newPage({ timezoneId: ZONE, locale: "en-US", timeZoneHint: false });
    await signInThroughApi(page, e2e.url, "rita@example.test");
    const found = [];

    await visit(page, `/sessions/${sessions.closed}`);
    const prompt = page.getByTestId("enroll-prompt");
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain("Ask Marcus Chen to add you");
    expect(await page.getByTestId("pre-join").count()).toBe(0);
    expect(await page.getByTestId("enroll").count()).toBe(0);
    found.push(...(await checked(page, "enroll-prompt-closed")));

    // The open course: the room offers Enroll; the course's name leads to its page, where she enrolls.
    await visit(page, `/sessions/${sessions.open}`);
    expect(await page.getByRole("heading", { name: "Enroll in the course to join" }).count()).toBe(1);
    found.push(...(await checked(page, "enroll-prompt-open")));
    await page.getByTestId("enroll-prompt").getByRole("link", { name: "Web Accessibility Fundamentals" }).click();
    await page.waitForURL((url) => url.pathname === "/courses/web-accessibility-fundamentals");
    await page.getByRole("heading", { name: "Join this course" }).waitFor();
    found.push(...(await checked(page, "course-page")));
    await page.getByTestId("enrollment-card").getByRole("button", { name: "Enroll" }).click();
    await page.getByRole("heading", { name: "Enrolled" }).waitFor();
    expect(await page.getByRole("button", { name: "Unenroll" }).count()).toBe(1);
    found.push(...(await checked(page, "course-page-enrolled")));

    // Its live session, from the course page: the room, and Join works.
    await page.getByRole("link", { name: "Focus traps, live" }).click();
    await page.waitForURL((url) => url.pathname === `/sessions/${sessions.open}`);
    await page.locator('[data-testid="join"]:not([disabled])').click();
    await expect.poll(() => phaseOf(page)).toBe("connected");

    // /schedule: today, at São Paulo's time, already in the server's HTML.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My schedule" }).click();
    await page.waitForURL((url) => url.pathname === "/schedule");
    await waitForHydration(page);
    const row = page.getByRole("listitem").filter({ hasText: "Focus traps, live" });
    const local = new Intl.DateTimeFormat("en-US", { timeZone: ZONE, hour: "numeric", minute: "2-digit" })
      .format(new Date(Date.now() - 7 * 60_000))
      .replace(/\s/g, " ");
    const shown = await row.getByTestId("schedule-time").textContent();
    // The session started 7 minutes ago: the same minute, or the one before or after it.
    const [hour, minute] = local.split(/[: ]/);
    expect(shown).toMatch(new RegExp(`^${hour}:\\d\\d (AM|PM)$`));
    expect(Math.abs(Number(shown!.split(/[: ]/)[1]) - Number(minute))).toBeLessThanOrEqual(1);
    expect(await page.getByRole("heading", { name: "Today" }).count()).toBe(1);
    expect(await page.getByTestId("schedule-zone").textContent()).toContain("America/Sao Paulo");
    const html = await (await page.context().request.get("/schedule")).text();
    expect(html.replaceAll("<!-- -->", "")).toContain(`>${shown}</time>`);
    found.push(...(await checked(page, "schedule")));

    // The instructor's side: the roster has her, with the date and how she enrolled.
    const teacher = await e2e.newPage();
    await signInThroughApi(teacher, e2e.url, "instructor@livehall.dev");
    const course = await e2e.server.services.db.course.findUniqueOrThrow({
      where: { slug: "web-accessibility-fundamentals" },
    });
    await visit(teacher, `/teach/courses/${course.id}`);
    const rita = teacher.getByTestId("roster-student").filter({ hasText: "Rita Novak" });
    expect(await rita.textContent()).toContain("Enrolled themselves");
    found.push(...(await checked(teacher, "teach-roster")));

    expect(found).toEqual([]);
    expectNoProblems(page);
    expectNoProblems(teacher);
  });
});

describe("class reminders and the calendar feed (docs/decisions/022)", () => {
  test("the account page: the reminder switch saves, the feed link is made and replaced (the old one 404s); a reminder mail renders at 390 and 1280 px", async () => {
    const { db } = e2e.server.services;
    const lena = await db.user.create({
      data: {
        email: "lena@example.test",
        name: "Lena Park",
        passwordHash: DEMO_PASSWORD_HASH,
        role: "STUDENT",
        emailVerifiedAt: new Date(),
      },
    });
    const page = await e2e.newPage();
    await signInThroughApi(page, e2e.url, lena.email);
    await visit(page, "/account");
    await waitForHydration(page);
    const found = [];

    const reminders = page.getByRole("switch", { name: "Class reminders" });
    expect(await reminders.getAttribute("aria-checked")).toBe("true");
    await reminders.click();
    await page.getByText("Reminders are off.").waitFor();
    await expect
      .poll(async () => (await db.user.findUniqueOrThrow({ where: { id: lena.id } })).sessionReminders)
      .toBe(false);

    const feed = page.getByTestId("calendar-feed");
    await feed.getByRole("button", { name: "Make my calendar link" }).click();
    const link = feed.getByTestId("calendar-feed-url");
    await link.waitFor();
    const first = await link.inputValue();
    expect(first).toMatch(/\/calendar\/[0-9a-f]{32}[\w-]{43}\.ics$/);
    const served = await fetch(`${e2e.url}${new URL(first).pathname}`);
    expect(served.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(await feed.getByRole("link", { name: "Open in my calendar app" }).getAttribute("href")).toMatch(/^webcal:/);
    found.push(...(await checked(page, "account-calendar")));

    await feed.getByRole("button", { name: "Get a new link" }).click();
    await page
      .getByRole("dialog", { name: "Make a new link?" })
      .getByRole("button", { name: "Make a new link" })
      .click();
    await expect.poll(() => link.inputValue()).not.toBe(first);
    expect((await fetch(`${e2e.url}${new URL(first).pathname}`)).status).toBe(404);
    expect(found).toEqual([]);
    expectNoProblems(page);

    // A reminder as the worker sends it (here to the local outbox), opened as a mail client would show it.
    const course = await db.course.findUniqueOrThrow({ where: { slug: "web-accessibility-fundamentals" } });
    await db.enrollment.create({ data: { courseId: course.id, userId: lena.id, source: "SELF" } });
    await db.user.update({ where: { id: lena.id }, data: { sessionReminders: true } });
    const soon = await db.liveSession.create({
      data: {
        courseId: course.id,
        title: "Skip links that work",
        status: "SCHEDULED",
        startsAt: new Date(Date.now() + 15 * 60_000),
        plannedDurationMinutes: 50,
      },
    });
    await sendSessionMail(e2e.server.services, { kind: "REMINDER", sessionId: soon.id, sequence: 0 });
    const mail = await db.outboxMail.findFirstOrThrow({ where: { to: lena.email, template: "session-reminder" } });
    expect(mail.subject).toMatch(/^Starting in 1[45] minutes: Skip links that work$/);
    const view = await e2e.newPage();
    await view.setContent(mail.html);
    await view.getByRole("link", { name: "Go to the class" }).waitFor();
    expect(await view.getByRole("link", { name: "Go to the class" }).getAttribute("href")).toMatch(
      new RegExp(`/sessions/${soon.id}$`),
    );
    for (const width of [390, 1280]) await screenshot(view, "mail-session-reminder", width);
    expect(await seriousViolations(view, "reminder mail")).toEqual([]);
  });
});
