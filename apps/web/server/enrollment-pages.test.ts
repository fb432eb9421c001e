import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_PASSWORD, DEMO_PASSWORD_HASH } from "@livehall/db/seed";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

/**
 * The pages of docs/decisions/020 as the server renders them: the room page for people who may and
 * may not be in the room, enrolling through the course page's form (no JavaScript), and /schedule
 * in the viewer's time zone from the hint cookie.
 */
const appRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let server: TestServer;
const cookies = new Map<string, string>();
const rooms: Record<"closed" | "invite", string> = { closed: "", invite: "" };
const CODE = "CODEWXYZ23";

beforeAll(async () => {
  server = await startTestServer({ remix: "vite", appRoot });
  server.services.config.appOrigins.push(server.url);
  const { db } = server.services;
  const person = (email: string, role: "STUDENT" | "INSTRUCTOR" | "ADMIN", name = email.split("@")[0]!) =>
    db.user.create({ data: { email, name, passwordHash: DEMO_PASSWORD_HASH, role } });
  const [teacher, enrolled] = await Promise.all([
    person("teacher@example.test", "INSTRUCTOR", "Ines Teacher"),
    person("enrolled@example.test", "STUDENT"),
    person("outsider@example.test", "STUDENT"),
    person("second@example.test", "STUDENT"),
    person("admin@example.test", "ADMIN"),
  ]);
  const startedAt = new Date(Date.now() - 10 * 60_000);
  for (const [key, policy] of [
    ["closed", "CLOSED"],
    ["invite", "INVITE"],
  ] as const) {
    const course = await db.course.create({
      data: {
        slug: `${key}-lab`,
        title: `The ${key} lab`,
        instructorId: teacher.id,
        enrollmentPolicy: policy,
        inviteCode: policy === "INVITE" ? CODE : null,
      },
    });
    const session = await db.liveSession.create({
      data: {
        courseId: course.id,
        title: `Live in the ${key} lab`,
        status: "LIVE",
        startsAt: startedAt,
        startedAt,
        plannedDurationMinutes: 60,
      },
    });
    rooms[key] = `/sessions/${session.id}`;
    if (key === "closed")
      await db.enrollment.create({ data: { courseId: course.id, userId: enrolled.id, source: "ADDED" } });
  }
  for (const email of ["teacher", "enrolled", "outsider", "second", "admin"].map((name) => `${name}@example.test`)) {
    cookies.set(email, await signIn(email));
  }
});
afterAll(() => server?.close());

async function signIn(email: string): Promise<string> {
  const response = await fetch(`${server.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
    body: new URLSearchParams({ email, password: DEMO_PASSWORD }),
  });
  expect(response.status).toBe(302);
  return response.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
}

async function page(pathname: string, as: string | null, extraCookie = "") {
  const response = await fetch(`${server.url}${pathname}`, {
    redirect: "manual",
    headers: { cookie: [as ? cookies.get(as)! : "", extraCookie].filter(Boolean).join("; ") },
  });
  // React separates adjacent text with empty comments: read the text as a person would.
  const text = (await response.text()).replaceAll("<!-- -->", "");
  return { status: response.status, location: response.headers.get("location"), text };
}

function post(pathname: string, as: string, form: Record<string, string>) {
  return fetch(`${server.url}${pathname}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: server.url,
      cookie: cookies.get(as)!,
    },
    body: new URLSearchParams(form),
  });
}

describe("the room page follows enrollment", () => {
  test("a student who is not enrolled gets 403 and whom to ask; an enrolled one, the instructor and an admin get the room", async () => {
    const outsider = await page(rooms.closed, "outsider@example.test");
    expect(outsider.status).toBe(403);
    expect(outsider.text).toContain('data-testid="enroll-prompt"');
    expect(outsider.text).toContain("Ask Ines Teacher to add you");
    expect(outsider.text).not.toContain('data-testid="pre-join"');
    for (const email of ["enrolled", "teacher", "admin"].map((name) => `${name}@example.test`)) {
      const room = await page(rooms.closed, email);
      expect({ email, status: room.status }).toEqual({ email, status: 200 });
      expect(room.text).toContain('data-testid="pre-join"');
      expect(room.text).not.toContain('data-testid="enroll-prompt"');
    }
    // Signed out, the page says to sign in (the room decides once it knows who you are).
    expect((await page(rooms.closed, null)).text).toContain("Sign in to join");
  });

  test("an invite-only course: the prompt takes the code, a right one enrolls and leads back to the room, a rotated one no longer works", async () => {
    const before = await page(rooms.invite, "outsider@example.test");
    expect(before.status).toBe(403);
    expect(before.text).toContain('name="inviteCode"');

    const wrong = await post("/courses/invite-lab", "outsider@example.test", {
      intent: "enroll",
      inviteCode: "NOTTHECODE",
      redirectTo: rooms.invite,
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain("This invite code doesn&#x27;t work");

    const right = await post("/courses/invite-lab", "outsider@example.test", {
      intent: "enroll",
      inviteCode: `${CODE.slice(0, 5).toLowerCase()}-${CODE.slice(5)}`,
      redirectTo: rooms.invite,
    });
    expect(right.status).toBe(302);
    expect(right.headers.get("location")).toBe(rooms.invite);
    expect((await page(rooms.invite, "outsider@example.test")).status).toBe(200);

    // The instructor makes a new code on the teach page: the old one stops working for the next student.
    const course = await server.services.db.course.findUniqueOrThrow({ where: { slug: "invite-lab" } });
    const rotated = await post(`/teach/courses/${course.id}`, "teacher@example.test", { intent: "rotate-code" });
    expect(rotated.status).toBe(200);
    const stale = await post("/courses/invite-lab", "second@example.test", { intent: "enroll", inviteCode: CODE });
    expect(stale.status).toBe(403);
    expect((await page(rooms.invite, "second@example.test")).status).toBe(403);
  });
});

describe("course pages and the schedule", () => {
  test("/courses/:slug shows the course, its instructor, its sessions and the way in, to anyone", async () => {
    const closed = await page("/courses/closed-lab", null);
    expect(closed.status).toBe(200);
    for (const text of ["The closed lab", "Ines Teacher", "Closed", "Live in the closed lab", "Ask Ines Teacher"])
      expect(closed.text).toContain(text);
    expect((await page("/courses/closed-lab", "enrolled@example.test")).text).toContain("Unenroll");
    expect((await page("/courses/no-such-course", null)).status).toBe(404);
  });

  test("/schedule groups the user's sessions by day and shows times in the zone of the hint cookie", async () => {
    expect((await page("/schedule", null)).location).toBe("/login?redirectTo=%2Fschedule");
    const inUtc = await page("/schedule", "enrolled@example.test");
    expect(inUtc.text).toContain("Times are in UTC");
    const inTokyo = await page("/schedule", "enrolled@example.test", "lh_tz=Asia%2FTokyo");
    expect(inTokyo.text).toContain("Times are in Asia/Tokyo");
    expect(inTokyo.text).toContain("Live in the closed lab");
    expect(inTokyo.text).not.toContain("Live in the invite lab");
    const session = await server.services.db.liveSession.findFirstOrThrow({
      where: { title: "Live in the closed lab" },
    });
    const tokyo = new Intl.DateTimeFormat("en-US", {
      timeZone: "Asia/Tokyo",
      hour: "numeric",
      minute: "2-digit",
      hourCycle: "h12",
    })
      .format(session.startedAt!)
      .replace(/\s/g, " ");
    expect(inTokyo.text).toContain(`>${tokyo}</time>`);
    expect(inTokyo.text).toContain(">Today</h2>");
    // A hint that is not a time zone is ignored, never an error.
    expect((await page("/schedule", "enrolled@example.test", "lh_tz=Mars%2FOlympus")).text).toContain(
      "Times are in UTC",
    );
  });
});

describe("calendar files over HTTP (docs/decisions/022)", () => {
  test("a session's .ics is a text/calendar download; the feed link made on the account section serves the user's sessions, and a new link retires it", async () => {
    const file = await fetch(`${server.url}${rooms.closed}/calendar.ics`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(file.headers.get("content-disposition")).toBe('attachment; filename="live-in-the-closed-lab.ics"');
    expect(await file.text()).toContain("BEGIN:VEVENT");
    expect((await fetch(`${server.url}/sessions/${crypto.randomUUID()}/calendar.ics`)).status).toBe(404);

    const made = await post("/account/calendar", "enrolled@example.test", { intent: "rotate-feed" });
    expect(made.status).toBe(200);
    const { feed } = (await made.json()) as { feed: { url: string } };
    const feedPath = new URL(feed.url).pathname;
    expect(feedPath).toMatch(/^\/calendar\/[0-9a-f]{32}[\w-]{43}\.ics$/);
    const served = await fetch(`${server.url}${feedPath}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(served.headers.get("cache-control")).toBe("private, no-cache");
    const ics = await served.text();
    expect(ics).toContain("SUMMARY:Live in the closed lab");
    expect(ics).not.toContain("SUMMARY:Live in the invite lab");

    await post("/account/calendar", "enrolled@example.test", { intent: "rotate-feed" });
    const retired = await fetch(`${server.url}${feedPath}`);
    expect(retired.status).toBe(404);
    expect(await retired.text()).toContain("This calendar link does not exist or was replaced");
    for (const junk of ["/calendar/nothing.ics", "/calendar/x", `${feedPath.slice(0, -4)}.txt`]) {
      expect((await fetch(`${server.url}${junk}`)).status, junk).toBe(404);
    }
    // Signed out, the settings action sends to the sign-in page; an unknown intent is a 400.
    const anonymous = await fetch(`${server.url}/account/calendar`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
      body: "intent=rotate-feed",
    });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toContain("/login");
    expect((await post("/account/calendar", "enrolled@example.test", { intent: "nope" })).status).toBe(400);
  });
});
