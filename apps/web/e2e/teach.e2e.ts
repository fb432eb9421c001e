import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createCaller, createContext } from "@livehall/api";
import { seedId } from "@livehall/db/seed";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  artifactsDir,
  expectNoProblems,
  pathOf,
  screenshot,
  seriousViolations,
  signIn,
  startE2E,
  toastWith,
  visit,
  type E2E,
  type E2EPage,
} from "./harness";
import { joinRoom, signInThroughApi, tabsIn } from "./room-helpers";

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  await mkdir(artifactsDir, { recursive: true });
  // As a running worker would have at start-up: build presence from the seeded rows, so the clean-up
  // below finds this run's state as production would, not a Redis that never saw presence.
  const admin = await e2e.server.services.db.user.findUniqueOrThrow({ where: { email: "admin@livehall.dev" } });
  const caller = createCaller(
    createContext(e2e.server.services, { user: { id: admin.id, role: "ADMIN", familyId: randomUUID() } }),
  );
  await caller.session.cleanupParticipants({ sessionId: seedId("session:live-generics") });
});
afterAll(() => e2e?.close());

/** Calls a procedure over HTTP from the page, with its cookies (as the browser client would). */
async function callApi(page: Page, procedure: string, input: unknown) {
  return page.evaluate(
    async ({ procedure, input }) => {
      const response = await fetch(`/api/trpc/${procedure}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: input }),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    { procedure, input },
  );
}

/** A datetime-local value for `instant` in a time zone `offsetMinutes` ahead of UTC. */
function localValue(instant: Date, offsetMinutes: number) {
  return new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 16);
}

describe("/teach in the browser", () => {
  test("create a course, schedule (in the instructor's time zone), start; a student joins and shows live; end; attendance and ratings", async () => {
    // The instructor works from India (UTC+05:30, no daylight saving time) to check time-zone handling.
    const teacher = await e2e.newPage({ timezoneId: "Asia/Kolkata" });
    await signIn(teacher, "instructor@livehall.dev", undefined, "/login?redirectTo=%2Fteach");
    expect(pathOf(teacher)).toBe("/teach");
    await expect.poll(() => teacher.getByTestId("course-card").count()).toBe(4);

    // Validation errors from the API show inline on their field.
    await teacher.getByRole("button", { name: "Create course" }).click();
    await teacher.getByText("Enter a title.").waitFor();
    expect(await teacher.getByLabel("Title", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await teacher.getByLabel("Title", { exact: true }).fill("Realtime Systems");
    await teacher.getByLabel("Address (optional)").fill("typescript-in-practice");
    await teacher.getByRole("button", { name: "Create course" }).click();
    await teacher.getByText("This course address is already taken.").waitFor();
    expect(await teacher.getByLabel("Address (optional)").getAttribute("aria-invalid")).toBe("true");

    await teacher.getByLabel("Address (optional)").fill("");
    await teacher.getByLabel("Description").fill("WebSockets, SSE and presence, built live.");
    await teacher.getByRole("button", { name: "Create course" }).click();
    await teacher.waitForURL((url) => url.pathname.startsWith("/teach/courses/"));
    await toastWith(teacher, "Course created").waitFor();
    expect(await teacher.getByRole("heading", { level: 1 }).textContent()).toBe("Realtime Systems");
    await expect.poll(() => pathOf(teacher)).not.toContain("notice=");
    const courseUrl = pathOf(teacher);

    // A start in the past is refused next to the field.
    const schedule = teacher.getByRole("form", { name: "Schedule a session" });
    // Chromium names the zone by its older canonical name.
    await schedule.getByText(/^Your time zone: Asia\/(Kolkata|Calcutta)$/).waitFor();
    await schedule.getByLabel("Session title").fill("Kick-off: presence at scale");
    await schedule.getByLabel("Starts at").fill(localValue(new Date(Date.now() - 2 * 86_400_000), 330));
    await schedule.getByRole("button", { name: "Schedule session" }).click();
    await schedule.getByText("The start time is in the past.").waitFor();
    expect(await schedule.getByLabel("Starts at").getAttribute("aria-invalid")).toBe("true");

    // Tomorrow at a full hour, typed in the instructor's local time, is stored as that instant.
    const startsAt = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000);
    await schedule.getByLabel("Starts at").fill(localValue(startsAt, 330));
    await schedule.getByLabel("Length (minutes)").fill("45");
    await schedule.getByRole("button", { name: "Schedule session" }).click();
    await toastWith(teacher, "“Kick-off: presence at scale” is scheduled").waitFor();
    const stored = await e2e.server.services.db.liveSession.findFirstOrThrow({
      where: { title: "Kick-off: presence at scale" },
    });
    expect(stored.startsAt.toISOString()).toBe(startsAt.toISOString());
    expect(stored.plannedDurationMinutes).toBe(45);
    // The form starts again empty.
    await expect.poll(() => schedule.getByLabel("Session title").inputValue()).toBe("");

    // Start it: it is planned for tomorrow, so the page asks first; then the session's own page, live.
    await teacher.getByRole("button", { name: "Start: Kick-off: presence at scale" }).click();
    await teacher
      .getByRole("dialog", { name: "Start this session early?" })
      .getByRole("button", { name: "Start now" })
      .click();
    await teacher.waitForURL((url) => url.pathname === `/teach/sessions/${stored.id}`);
    await toastWith(teacher, "The session is live").waitFor();
    expect(await teacher.getByTestId("session-status").getAttribute("data-status")).toBe("LIVE");
    await teacher.getByText("Nobody is in the room yet").waitFor();

    // A student opens the room (the real room page) in two tabs of another browser.
    const student = await e2e.newPage();
    await signInThroughApi(student, e2e.url, "student@livehall.dev");
    const roomConnected = (page: Page) =>
      page.locator('[data-testid="connection-status"][data-phase="connected"]').waitFor({ timeout: 15_000 });
    await visit(student, `/sessions/${stored.id}`);
    // A new course (open): its room first offers Enroll, which comes back here (docs/decisions/020).
    await student.getByTestId("enroll").click();
    await student.getByTestId("pre-join").waitFor();
    await joinRoom(student);
    await roomConnected(student);
    const secondTab = (await student.context().newPage()) as E2EPage;
    secondTab.problems = [];
    await visit(secondTab, `/sessions/${stored.id}`);
    await joinRoom(secondTab);
    await roomConnected(secondTab);

    // The instructor sees them live: one participant however many tabs (two, in Redis).
    const row = teacher.getByTestId("participant-row").filter({ hasText: "Sam Student" });
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => tabsIn(e2e.server.services, stored.id), { timeout: 10_000 }).toBe(2);
    expect(await teacher.getByTestId("participant-count").textContent()).toBe("1");

    // One tab closes: one connection left, still one participant.
    await secondTab.close({ runBeforeUnload: true });
    await expect.poll(() => tabsIn(e2e.server.services, stored.id), { timeout: 10_000 }).toBe(1);
    expect(await row.isVisible()).toBe(true);
    expect(await teacher.getByTestId("participant-count").textContent()).toBe("1");

    // Fix the list: shows what it did, count by count, in plain words.
    await teacher.getByRole("button", { name: "Fix the list" }).click();
    const cleanup = teacher.getByTestId("cleanup-result");
    await cleanup.getByText("Clean-up finished: nothing to fix").waitFor();
    expect(await cleanup.textContent()).toContain("People listed twice, now once0");
    expect(await cleanup.textContent()).not.toMatch(/\b(rows?|connections?|reconcile)\b/i);
    await screenshot(teacher, "teach-session-live");
    expect(await seriousViolations(teacher, "/teach/sessions/:id (live)")).toEqual([]);

    // End it, after confirming.
    await teacher.getByRole("button", { name: "End session" }).click();
    const dialog = teacher.getByRole("dialog", { name: "End this session for everyone?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "End session" }).click();
    await toastWith(teacher, "“Kick-off: presence at scale” has ended").waitFor();
    expect(await teacher.getByTestId("session-status").getAttribute("data-status")).toBe("ENDED");
    // The student's room learns it at once.
    await student.getByTestId("ended-notice").waitFor({ timeout: 10_000 });

    // Attendance: the student, with how long they were there.
    const attendance = teacher.getByTestId("attendance-row").filter({ hasText: "Sam Student" });
    await attendance.waitFor();
    expect(await attendance.getByTestId("attended-duration").textContent()).toMatch(/^\d+ s$|^\d+ min \d\d s$/);
    expect(await attendance.textContent()).toContain("Until the end");
    const [record] = await e2e.server.services.db.sessionParticipant.findMany({ where: { sessionId: stored.id } });
    expect(record?.leaveReason).toBe("ENDED");

    // The student rates it (rating takes a minute of attendance: say they stayed two); the instructor
    // sees the rating and its comment.
    await e2e.server.services.db.sessionParticipant.updateMany({
      where: { sessionId: stored.id },
      data: { joinedAt: new Date(Date.now() - 2 * 60_000) },
    });
    expect(
      (
        await callApi(student, "session.rate", {
          sessionId: stored.id,
          stars: 5,
          comment: "Great live demo of presence.",
        })
      ).status,
    ).toBe(200);
    await visit(teacher, `/teach/sessions/${stored.id}`);
    expect(await teacher.getByTestId("rating-summary").textContent()).toContain("5.0");
    expect(await teacher.getByTestId("rating-comments").textContent()).toContain("Great live demo of presence.");
    await screenshot(teacher, "teach-session-ended");
    expect(await seriousViolations(teacher, "/teach/sessions/:id (ended)")).toEqual([]);

    // Back on the course page the session is under Past.
    await visit(teacher, courseUrl);
    const past = teacher.getByTestId("teach-session").filter({ hasText: "Kick-off: presence at scale" });
    expect(await past.getAttribute("data-status")).toBe("ENDED");

    await visit(teacher, "/teach");
    await screenshot(teacher, "teach", 375);
    await screenshot(teacher, "teach");
    expect(await seriousViolations(teacher, "/teach")).toEqual([]);
    expectNoProblems(teacher);
    // The room's event stream closing with the session may log aborted requests; nothing else.
    expect(student.problems.filter((problem) => !/net::ERR_(ABORTED|FAILED)/.test(problem))).toEqual([]);
  });

  test("an upcoming session can be cancelled from the course page, after confirming", async () => {
    const teacher = await e2e.newPage();
    await signInThroughApi(teacher, e2e.url, "instructor@livehall.dev");
    await visit(teacher, `/teach/courses/${seedId("course:typescript-in-practice")}`);
    // A course with a live, an upcoming and a past session (the demo data), for the screenshot.
    await teacher.getByTestId("teach-session").first().waitFor();
    await screenshot(teacher, "teach-course");
    expect(await seriousViolations(teacher, "/teach/courses/:id (live, upcoming, past)")).toEqual([]);

    await visit(teacher, "/teach");
    await teacher.getByRole("link", { name: "Manage: Postgres for Application Developers" }).click();
    await teacher.waitForURL((url) => url.pathname.startsWith("/teach/courses/"));
    const upcoming = teacher.getByTestId("teach-session").filter({ hasText: "Indexes that actually help" });
    expect(await upcoming.getAttribute("data-status")).toBe("SCHEDULED");
    await upcoming.getByRole("button", { name: "Cancel: Indexes that actually help" }).click();
    await teacher
      .getByRole("dialog", { name: "Cancel this session?" })
      .getByRole("button", { name: "Cancel session" })
      .click();
    await toastWith(teacher, "“Indexes that actually help” is cancelled").waitFor();
    await expect
      .poll(() =>
        teacher
          .getByTestId("teach-session")
          .filter({ hasText: "Indexes that actually help" })
          .getAttribute("data-status"),
      )
      .toBe("CANCELLED");
    expectNoProblems(teacher);
  });

  test("students get the 403 page on /teach, anonymous visitors are sent to sign in, other instructors' courses are 403", async () => {
    const anonymous = await e2e.newPage();
    await anonymous.goto("/teach");
    expect(pathOf(anonymous)).toBe(`/login?${new URLSearchParams({ redirectTo: "/teach" })}`);

    const student = await e2e.newPage();
    await signInThroughApi(student, e2e.url, "student@livehall.dev");
    const answer = await student.goto("/teach");
    expect(answer?.status()).toBe(403);
    await student.getByRole("heading", { level: 1, name: "Teaching tools are for instructors" }).waitFor();
    await student.getByRole("link", { name: "Ask to teach on Livehall" }).waitFor();
    expect(await student.getByText("You are signed in as Sam Student, a student.").isVisible()).toBe(true);
    // No Teach link in the navigation for a student, and a way back.
    expect(
      await student
        .getByRole("navigation", { name: "Main" })
        .first()
        .getByRole("link", { name: "Teach", exact: true })
        .count(),
    ).toBe(0);
    await student.getByRole("link", { name: "Back to live sessions" }).click();
    await student.waitForURL((url) => url.pathname === "/sessions");

    const course = await e2e.server.services.db.course.findUniqueOrThrow({ where: { slug: "typescript-in-practice" } });
    const session = await e2e.server.services.db.liveSession.findFirstOrThrow({ where: { courseId: course.id } });
    const otherInstructor = await e2e.newPage();
    await signInThroughApi(otherInstructor, e2e.url, "marcus.chen@livehall.dev");
    expect((await otherInstructor.goto(`/teach/courses/${course.id}`))?.status()).toBe(403);
    expect((await otherInstructor.goto(`/teach/sessions/${session.id}`))?.status()).toBe(403);
    expect((await otherInstructor.goto("/teach/courses/not-a-course"))?.status()).toBe(404);
    await otherInstructor.getByRole("link", { name: "Back to Teach" }).waitFor();
    expectNoProblems(student);
  });
});
