import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_PASSWORD, DEMO_PASSWORD_HASH } from "@livehall/db/seed";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

const appRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let server: TestServer;
let sessionId: string;
const cookies = new Map<string, string>();

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

beforeAll(async () => {
  server = await startTestServer({ remix: "vite", appRoot });
  server.services.config.appOrigins.push(server.url);
  const { db } = server.services;
  const person = (email: string, role: "STUDENT" | "INSTRUCTOR") =>
    db.user.create({ data: { email, name: email.split("@")[0]!, passwordHash: DEMO_PASSWORD_HASH, role } });
  const [teacher, stayed, dropped, absent] = await Promise.all([
    person("teacher@example.test", "INSTRUCTOR"),
    person("stayed@example.test", "STUDENT"),
    person("dropped-in@example.test", "STUDENT"),
    person("absent@example.test", "STUDENT"),
  ]);
  const course = await db.course.create({ data: { slug: "rated", title: "Rated course", instructorId: teacher.id } });
  const ended = new Date();
  const minutesAgo = (minutes: number) => new Date(ended.getTime() - minutes * 60_000);
  const session = await db.liveSession.create({
    data: {
      courseId: course.id,
      title: "An ended session",
      status: "ENDED",
      startsAt: minutesAgo(60),
      startedAt: minutesAgo(60),
      endedAt: ended,
      plannedDurationMinutes: 60,
    },
  });
  sessionId = session.id;
  await db.sessionParticipant.createMany({
    data: [
      { sessionId, userId: teacher.id, joinedAt: minutesAgo(60), leftAt: ended, leaveReason: "ENDED" },
      { sessionId, userId: stayed.id, joinedAt: minutesAgo(30), leftAt: ended, leaveReason: "ENDED" },
      { sessionId, userId: dropped.id, joinedAt: minutesAgo(0.5), leftAt: ended, leaveReason: "ENDED" },
    ],
  });
  // Ratings are the course's students' (docs/decisions/020); the instructor is not one.
  await db.enrollment.createMany({
    data: [stayed, dropped, absent].map((user) => ({ courseId: course.id, userId: user.id, source: "SELF" as const })),
  });
  for (const user of [teacher, stayed, dropped, absent]) cookies.set(user.email, await signIn(user.email));
});
afterAll(() => server?.close());

async function roomPage(email: string): Promise<string> {
  const response = await fetch(`${server.url}/sessions/${sessionId}`, { headers: { cookie: cookies.get(email)! } });
  expect(response.status).toBe(200);
  return response.text();
}

test("the rating form of an ended session is shown only to those the API lets rate it", async () => {
  const form = 'data-testid="rating"';
  expect(await roomPage("stayed@example.test")).toContain(form);

  const dropped = await roomPage("dropped-in@example.test");
  expect(dropped).not.toContain(form);
  expect(dropped).toContain("You can rate this session after attending it for at least 60 seconds.");

  const absent = await roomPage("absent@example.test");
  expect(absent).not.toContain(form);
  expect(absent).toContain("Only people who attended this session can rate it.");

  // The course's own instructor is offered nothing.
  const teacher = await roomPage("teacher@example.test");
  expect(teacher).not.toContain(form);
  expect(teacher).not.toContain("Rating this session");
});
