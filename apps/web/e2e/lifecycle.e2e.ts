import { mkdir } from "node:fs/promises";
import { seedId } from "@livehall/db/seed";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  artifactsDir,
  expectNoProblems,
  pathOf,
  screenshot,
  seriousViolations,
  startE2E,
  TEST_REFRESH_SECONDS,
  toastWith,
  visit,
  type E2E,
} from "./harness";
import { signInThroughApi } from "./room-helpers";

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({ refreshSeconds: TEST_REFRESH_SECONDS });
  await mkdir(artifactsDir, { recursive: true });
});
afterAll(() => e2e?.close());

const DAY = 86_400_000;

/** The wall-clock time ("18:30"), weekday and offset name ("GMT+1") of `instant` in `timeZone`, by Intl. */
function local(instant: Date, timeZone: string) {
  const format = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat("en-GB", { timeZone, ...options }).format(instant);
  return {
    time: format({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    weekday: format({ weekday: "long" }),
    offset: format({ timeZoneName: "shortOffset" }).split(" ").at(-1)!,
  };
}

/**
 * A datetime-local value for 18:30 in Berlin on a day 10 days before Berlin's next change of UTC
 * offset (at least two days ahead), so a four-week series from it crosses the change.
 */
function firstStartBeforeOffsetChange(): string {
  const zone = "Europe/Berlin";
  for (let day = 12; day < 400; day++) {
    const noon = new Date(Date.now() + day * DAY);
    if (local(noon, zone).offset !== local(new Date(noon.getTime() - DAY), zone).offset) {
      const first = new Date(noon.getTime() - 10 * DAY);
      const date = new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(first); // YYYY-MM-DD
      return `${date}T18:30`;
    }
  }
  throw new Error("no offset change in Berlin within a year");
}

describe("session lifecycle on /teach", () => {
  test("edit a scheduled session: the form, its checks, and /sessions shows the new title", async () => {
    const teacher = await e2e.newPage({ timezoneId: "America/New_York" });
    await signInThroughApi(teacher, e2e.url, "instructor@livehall.dev");
    const session = await e2e.server.services.db.liveSession.findFirstOrThrow({
      where: { status: "SCHEDULED", courseId: seedId("course:typescript-in-practice") },
      orderBy: { startsAt: "asc" },
    });
    await visit(teacher, `/teach/sessions/${session.id}`);
    const form = teacher.getByRole("form", { name: "Edit session" });
    await expect.poll(() => form.getByLabel("Session title").inputValue()).toBe(session.title);
    // The start is shown in the instructor's own zone.
    await form.getByText("Your time zone: America/New York").waitFor();
    await expect.poll(() => form.getByLabel("Starts at").inputValue()).not.toBe("");

    for (const width of [390, 1280]) {
      await screenshot(teacher, "teach-session-edit", width);
    }
    expect(await seriousViolations(teacher, "/teach/sessions/:id (scheduled, edit form)")).toEqual([]);

    // A length out of range is refused next to its field; nothing changes.
    await form.getByLabel("Length (minutes)").fill("3");
    await form.getByRole("button", { name: "Save changes" }).click();
    await form.getByText("Enter a length between 5 and 600 minutes.").waitFor();
    expect(await form.getByLabel("Length (minutes)").getAttribute("aria-invalid")).toBe("true");

    await form.getByLabel("Session title").fill("Generics, renamed for the edit test");
    await form.getByLabel("Length (minutes)").fill("75");
    await form.getByRole("button", { name: "Save changes" }).click();
    await toastWith(teacher, "Changes saved").waitFor();
    await teacher.getByRole("heading", { level: 1, name: "Generics, renamed for the edit test" }).waitFor();
    const stored = await e2e.server.services.db.liveSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(stored).toMatchObject({
      title: "Generics, renamed for the edit test",
      plannedDurationMinutes: 75,
      startsAt: session.startsAt,
    });

    // A visitor's list of sessions shows the new title.
    const visitor = await e2e.newPage();
    await visit(visitor, `/sessions?tab=upcoming&q=${encodeURIComponent("renamed for the edit")}`);
    await visitor
      .getByTestId("session-card")
      .getByRole("heading", { name: "Generics, renamed for the edit test" })
      .waitFor();
    expectNoProblems(teacher);
    expectNoProblems(visitor);
  });

  test("schedule a weekly series of 4 from the course page, across a daylight saving change; starting early asks first", async () => {
    const zone = "Europe/Berlin";
    const teacher = await e2e.newPage({ timezoneId: zone });
    await signInThroughApi(teacher, e2e.url, "instructor@livehall.dev");
    const courseId = seedId("course:typescript-in-practice");
    await visit(teacher, `/teach/courses/${courseId}`);
    const form = teacher.getByRole("form", { name: "Schedule a weekly series" });
    await form.getByText("Your time zone: Europe/Berlin").waitFor();

    // Out-of-range weeks are refused next to the field.
    await form.getByLabel("Session title").fill("Office hours");
    await form.getByLabel("Number of weeks").fill("27");
    await form.getByRole("button", { name: "Schedule series" }).click();
    await form.getByText("Enter a number of weeks between 2 and 26.").waitFor();
    expect(await form.getByLabel("Number of weeks").getAttribute("aria-invalid")).toBe("true");

    await form.getByLabel("First session starts at").fill(firstStartBeforeOffsetChange());
    await form.getByLabel("Length (minutes)").fill("45");
    await form.getByLabel("Number of weeks").fill("4");
    await form.getByLabel("Description").fill("Bring your questions.");
    for (const width of [390, 1280]) {
      await screenshot(teacher, "teach-series-form", width);
    }
    expect(await seriousViolations(teacher, "/teach/courses/:id (series form)")).toEqual([]);

    await form.getByRole("button", { name: "Schedule series" }).click();
    await toastWith(teacher, "4 weekly sessions of “Office hours” are scheduled").waitFor();
    const series = await e2e.server.services.db.liveSession.findMany({
      where: { courseId, title: "Office hours" },
      orderBy: { startsAt: "asc" },
    });
    expect(series).toHaveLength(4);
    const locals = series.map((session) => local(session.startsAt, zone));
    // Same weekday and local time every week, on both sides of the change of UTC offset.
    expect(new Set(locals.map((entry) => `${entry.weekday} ${entry.time}`)).size).toBe(1);
    expect(locals[0]!.time).toBe("18:30");
    expect(locals[0]!.offset).not.toBe(locals[3]!.offset);
    expect(series.every((session) => session.plannedDurationMinutes === 45 && session.status === "SCHEDULED")).toBe(
      true,
    );
    // Their calendar files, read back by ical.js, carry those instants in UTC: 18:30 in Berlin on both
    // sides of the change of offset, so two different UTC hours.
    const utcStarts = [];
    for (const session of [series[0]!, series[3]!]) {
      const answer = await fetch(`${e2e.url}/sessions/${session.id}/calendar.ics`);
      expect(answer.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
      const ics = await answer.text();
      expect(ics).toMatch(/^DTSTART:\d{8}T\d{6}Z\r?$/m);
      const start = new ICAL.Component(ICAL.parse(ics))
        .getFirstSubcomponent("vevent")!
        .getFirstPropertyValue("dtstart") as ICAL.Time;
      expect(start.zone?.tzid).toBe("UTC");
      expect(start.toJSDate().toISOString()).toBe(session.startsAt.toISOString());
      expect(local(start.toJSDate(), zone).time).toBe("18:30");
      utcStarts.push(start.toJSDate().getUTCHours());
    }
    expect(utcStarts[0]).not.toBe(utcStarts[1]);
    // The session's page offers it: the .ics file and Google Calendar's form, with the same UTC times.
    await visit(teacher, `/sessions/${series[1]!.id}`);
    const add = teacher.getByTestId("add-to-calendar");
    await add.waitFor();
    expect(
      await add.getByRole("link", { name: "Add to calendar: Office hours (.ics file)" }).getAttribute("href"),
    ).toBe(`/sessions/${series[1]!.id}/calendar.ics`);
    const google = new URL((await add.getByRole("link", { name: /Google Calendar/ }).getAttribute("href"))!);
    const basic = (date: Date) =>
      date
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d{3}/, "");
    expect(google.searchParams.get("dates")).toBe(
      `${basic(series[1]!.startsAt)}/${basic(new Date(series[1]!.startsAt.getTime() + 45 * 60_000))}`,
    );
    for (const width of [390, 1280]) {
      await screenshot(teacher, "session-add-to-calendar", width);
    }
    expect(await seriousViolations(teacher, "/sessions/:id (scheduled, add to calendar)")).toEqual([]);
    await visit(teacher, `/teach/courses/${courseId}`);
    // The form starts again empty, and the four are listed under Upcoming.
    await expect.poll(() => form.getByLabel("Session title").inputValue()).toBe("");
    const rows = teacher.getByTestId("teach-session").filter({ hasText: "Office hours" });
    await expect.poll(() => rows.count()).toBe(4);

    // The first is more than a day away: starting it asks first, and "Not yet" leaves it scheduled.
    await rows.first().getByRole("button", { name: "Start: Office hours" }).click();
    const ask = teacher.getByRole("dialog", { name: "Start this session early?" });
    await ask.getByText(/^It is planned for /).waitFor();
    await ask.getByRole("button", { name: "Not yet" }).click();
    await expect.poll(() => ask.isVisible()).toBe(false);
    expect((await e2e.server.services.db.liveSession.findUniqueOrThrow({ where: { id: series[0]!.id } })).status).toBe(
      "SCHEDULED",
    );
    // Confirming starts it.
    await rows.first().getByRole("button", { name: "Start: Office hours" }).click();
    await ask.getByRole("button", { name: "Start now" }).click();
    await teacher.waitForURL((url) => url.pathname === `/teach/sessions/${series[0]!.id}`);
    await toastWith(teacher, "The session is live").waitFor();
    expect(await teacher.getByTestId("session-status").getAttribute("data-status")).toBe("LIVE");
    // Live: End is offered, Cancel is not.
    await teacher.getByRole("button", { name: "End session" }).waitFor();
    expect(await teacher.getByRole("button", { name: "Cancel session" }).count()).toBe(0);
    // The notice leaves the URL once its toast is shown (an effect after the render): wait for it.
    await expect.poll(() => pathOf(teacher)).toBe(`/teach/sessions/${series[0]!.id}`);
    expectNoProblems(teacher);
  });
});
