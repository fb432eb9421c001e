import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
let expectedCourses: { id: string; title: string; instructorName: string; sessionCount: number }[];

beforeAll(async () => {
  server = await startTestServer();
  const { db } = server.services;
  const instructor = await db.user.create({
    data: { email: "grace@example.test", name: "Grace Hopper", passwordHash: "x", role: "INSTRUCTOR" },
  });
  const compilers = await db.course.create({
    data: {
      slug: "compilers",
      title: "Compilers",
      description: "From source to machine code.",
      instructorId: instructor.id,
    },
  });
  await db.liveSession.create({
    data: { courseId: compilers.id, title: "Parsing", startsAt: new Date(), plannedDurationMinutes: 60 },
  });
  const algorithms = await db.course.create({
    data: { slug: "algorithms", title: "Algorithms", instructorId: instructor.id },
  });
  expectedCourses = [
    { id: algorithms.id, title: "Algorithms", instructorName: "Grace Hopper", sessionCount: 0 },
    { id: compilers.id, title: "Compilers", instructorName: "Grace Hopper", sessionCount: 1 },
  ];
});

afterAll(() => server?.close());

/** A raw GET of one procedure, with its input encoded the way the superjson client would. */
async function getProcedure(path: string, input?: unknown) {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await fetch(`${server.trpcUrl}/${path}${query}`);
  return { status: response.status, text: await response.text() };
}

describe("tRPC over HTTP", () => {
  test("course.list answers the courses in the database, through the typed client", async () => {
    const page = await server.client().course.list.query();
    expect(page.nextCursor).toBeNull();
    expect(
      page.items.map((course) => ({
        id: course.id,
        title: course.title,
        instructorName: course.instructor.name,
        sessionCount: course.sessionCount,
      })),
    ).toEqual(expectedCourses);
  });

  test("two queries issued together travel in one batched request", async () => {
    const requests: string[] = [];
    const client = server.client({
      fetch: (url, init) => {
        requests.push(String(url));
        return fetch(url, init);
      },
    });
    const [firstPage, secondPage] = await Promise.all([
      client.course.list.query({ limit: 1 }),
      client.course.list.query({ limit: 1, cursor: expectedCourses[0]!.id }),
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain("course.list,course.list?batch=1");
    expect(firstPage.items.map((course) => course.id)).toEqual([expectedCourses[0]!.id]);
    expect(secondPage.items.map((course) => course.id)).toEqual([expectedCourses[1]!.id]);
  });

  test("input that breaks the schema answers 400 INVALID_INPUT, with no stack trace", async () => {
    const error = await server
      .client()
      .course.list.query({ limit: 0 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ httpStatus: 400, reason: "INVALID_INPUT" });

    for (const input of [{ limit: 0 }, { limit: "x" }]) {
      const { status, text } = await getProcedure("course.list", input);
      expect(status).toBe(400);
      expect(JSON.parse(text).error.json.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
      expect(text).not.toMatch(/stack|\bat .*\.(ts|js):\d+/);
    }
  });

  test("input that is not JSON answers 400 INVALID_INPUT", async () => {
    const response = await fetch(`${server.trpcUrl}/course.list?input=%7Bnot-json`);
    expect(response.status).toBe(400);
    expect((await response.json()).error.json.data.reason).toBe("INVALID_INPUT");
  });

  test("an unknown procedure answers 404, not 500", async () => {
    const { status, text } = await getProcedure("course.nope");
    expect(status).toBe(404);
    expect(JSON.parse(text).error.json.data).toMatchObject({ code: "NOT_FOUND", reason: "NOT_FOUND" });
  });
});

describe("request ids", () => {
  test("every answer carries one; a proxy's well-formed id is kept, anything else replaced", async () => {
    const fresh = await fetch(`${server.url}/healthz`);
    expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    const forwarded = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "lb-1234.abc" } });
    expect(forwarded.headers.get("x-request-id")).toBe("lb-1234.abc");

    const hostile = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "a b\tc<script>" } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
