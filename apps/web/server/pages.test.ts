import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_PASSWORD, DEMO_PASSWORD_HASH } from "@livehall/db/seed";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

const appRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let server: TestServer;

beforeAll(async () => {
  // No progressive delay: the sign-in warning below is reached one failure after another.
  server = await startTestServer({ remix: "vite", appRoot, env: { LOGIN_DELAY_AFTER_FAILURES: "1000" } });
  server.services.config.appOrigins.push(server.url);
  const { db } = server.services;
  const instructor = await db.user.create({
    data: { email: "ada@example.test", name: "Ada Lovelace", passwordHash: "x", role: "INSTRUCTOR" },
  });
  const course = await db.course.create({
    data: {
      slug: "engines",
      title: "Analytical Engines",
      description: "Notes on the engine.",
      instructorId: instructor.id,
    },
  });
  const now = Date.now();
  await db.liveSession.createMany({
    data: [
      {
        courseId: course.id,
        title: "Bernoulli numbers, live",
        status: "LIVE",
        startsAt: new Date(now - 600_000),
        startedAt: new Date(now - 600_000),
        plannedDurationMinutes: 60,
      },
      {
        courseId: course.id,
        title: "The difference engine",
        status: "SCHEDULED",
        startsAt: new Date(now + 7_200_000),
        plannedDurationMinutes: 45,
      },
      {
        courseId: course.id,
        title: "Punched cards",
        status: "ENDED",
        startsAt: new Date(now - 86_400_000),
        startedAt: new Date(now - 86_400_000),
        endedAt: new Date(now - 82_800_000),
        plannedDurationMinutes: 60,
      },
    ],
  });
});

afterAll(() => server?.close());

const html = async (pathname: string) => {
  const response = await fetch(`${server.url}${pathname}`, { redirect: "manual" });
  return { status: response.status, location: response.headers.get("location"), text: await response.text() };
};

describe("pages rendered on the server", () => {
  test("/ sends visitors to the live-sessions page", async () => {
    const { status, location } = await html("/");
    expect(status).toBe(302);
    expect(location).toBe("/sessions");
  });

  test("/sessions renders stats and cards from the in-process caller, filtered by the URL", async () => {
    const all = await html("/sessions");
    expect(all.status).toBe(200);
    expect(all.text).toContain('<html lang="en"');
    expect(all.text).toContain("Skip to main content");
    for (const title of ["Bernoulli numbers, live", "The difference engine", "Punched cards"])
      expect(all.text).toContain(title);
    expect(all.text).toContain("Analytical Engines");
    expect(all.text).toContain("Ada Lovelace");
    expect(all.text).toMatch(/data-testid="stat-live-value"[^>]*>(<[^>]+>)*1/);

    const live = await html("/sessions?tab=live");
    expect(live.text).toContain("Bernoulli numbers, live");
    expect(live.text).not.toContain("The difference engine");
    expect(live.text).toMatch(
      /id="sessions-tab-live"[^>]*aria-selected="true"|aria-selected="true"[^>]*id="sessions-tab-live"/,
    );

    const searched = await html("/sessions?q=difference&tab=upcoming");
    expect(searched.text).toContain("The difference engine");
    expect(searched.text).not.toContain("Punched cards");
    expect(searched.text).toContain('value="difference"');

    const none = await html("/sessions?q=zzz");
    expect(none.text).toContain("No sessions match");
  });

  test("times are rendered as UTC in <time dateTime> on the server (the browser upgrades them)", async () => {
    const { text } = await html("/sessions?tab=upcoming");
    expect(text).toMatch(
      /<time dateTime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"[^>]*>\w{3}, \w{3} \d{1,2}, \d{2}:\d{2} UTC<\/time>/,
    );
    expect(text).toMatch(/Starts in (<!-- -->)?2 hours/);
  });

  test("odd query values fall back instead of failing", async () => {
    for (const query of ["?tab=everything", "?cursor=not-a-cursor", `?q=${"x".repeat(500)}`, "?q=%00%01"]) {
      expect((await html(`/sessions${query}`)).status, query).toBe(200);
    }
  });

  test("sign-in by a plain form post sets the cookies and redirects only within the site", async () => {
    const { db } = server.services;
    await db.user.create({
      data: { email: "form@example.test", name: "Form User", passwordHash: DEMO_PASSWORD_HASH, role: "STUDENT" },
    });
    const post = (redirectTo: string, password = DEMO_PASSWORD) =>
      fetch(`${server.url}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
        body: new URLSearchParams({ email: "form@example.test", password, redirectTo }),
      });

    const wrong = await post("/sessions", "nope");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("match an account");

    const ok = await post("/sessions?tab=ended");
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/sessions?tab=ended");
    expect(
      ok.headers
        .getSetCookie()
        .map((cookie) => cookie.split("=")[0])
        .sort(),
    ).toEqual(["lh_at", "lh_rt"]);

    for (const evil of ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example"]) {
      expect((await post(evil)).headers.get("location"), evil).toBe("/sessions");
    }
  });

  test("sign-in from a foreign origin is refused (CSRF): no cookies, no redirect", async () => {
    const response = await fetch(`${server.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ email: "form@example.test", password: "whatever" }),
    });
    // Remix refuses an action whose Origin is not the host before it runs (the API would answer
    // CSRF_ORIGIN_REJECTED, shown inline, if it got that far).
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  test("failed sign-ins warn, in plain words, before sign-in is paused", async () => {
    await server.services.db.user.create({
      data: { email: "typo@example.test", name: "Typo", passwordHash: DEMO_PASSWORD_HASH, role: "STUDENT" },
    });
    const attempt = async (password: string) => {
      const response = await fetch(`${server.url}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
        body: new URLSearchParams({ email: "typo@example.test", password }),
      });
      return { status: response.status, text: (await response.text()).replace(/<!-- -->/g, "") };
    };
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await attempt(`typo ${i}`));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(401));
    expect(answers[5]!.text).not.toContain("attempts left");
    expect(answers[6]!.text).toContain("3 attempts left before sign-in is paused for 15 minutes.");
    expect(answers[7]!.text).toContain("2 attempts left before sign-in is paused for 15 minutes.");
    expect(answers[8]!.text).toContain("1 attempt left before sign-in is paused for 15 minutes.");
    expect(answers[9]!.text).toContain("Sign-in is now paused for 15 minutes.");
    const paused = await attempt(DEMO_PASSWORD);
    expect(paused.status).toBe(429);
    expect(paused.text).toMatch(/Too many failed sign-ins\. Try again in 1[45] minutes\./);
  });

  test("sign-in with Origin: null (a sandboxed iframe) is refused: no cookies, no redirect", async () => {
    const response = await fetch(`${server.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "null" },
      body: new URLSearchParams({ email: "form@example.test", password: DEMO_PASSWORD }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  test("the attendance CSV downloads for the course's instructor, not for a student", async () => {
    const { db } = server.services;
    await db.user.update({ where: { email: "ada@example.test" }, data: { passwordHash: DEMO_PASSWORD_HASH } });
    await db.user.create({
      data: { email: "csv-student@example.test", name: "Csv Student", passwordHash: DEMO_PASSWORD_HASH },
    });
    const ended = await db.liveSession.findFirstOrThrow({ where: { title: "Punched cards" } });
    const cookiesOf = async (email: string) => {
      const response = await fetch(`${server.url}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
        body: new URLSearchParams({ email, password: DEMO_PASSWORD, redirectTo: "/" }),
      });
      return response.headers
        .getSetCookie()
        .map((cookie) => cookie.split(";")[0])
        .join("; ");
    };
    const adaCookies = await cookiesOf("ada@example.test");
    const download = async (email: string) =>
      fetch(`${server.url}/teach/sessions/${ended.id}/attendance.csv`, {
        headers: { cookie: email === "ada@example.test" ? adaCookies : await cookiesOf(email) },
        redirect: "manual",
      });
    const csv = await download("ada@example.test");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="attendance-${ended.id}.csv"`);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain("Name,Role,Minutes attended,Visits,");
    expect((await download("csv-student@example.test")).status).toBe(403);
    // Downloads are budgeted per user (5 in a row): past it, 429 with when to come back.
    let answer = csv;
    for (let n = 1; n <= 10 && answer.status === 200; n++) {
      answer = await download("ada@example.test");
      await answer.arrayBuffer();
    }
    expect(answer.status).toBe(429);
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("an unknown page answers 404 with the app's own page", async () => {
    const response = await fetch(`${server.url}/no-such-page`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("Page not found");
  });
});
