import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

const appRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ remix: "vite", appRoot });
});

afterAll(() => server?.close());

test("the home page lists the courses, loaded through the in-process caller", async () => {
  const { db } = server.services;
  const instructor = await db.user.create({
    data: { email: "ada@example.test", name: "Ada Lovelace", passwordHash: "x", role: "INSTRUCTOR" },
  });
  await db.course.create({
    data: { slug: "engines", title: "Analytical Engines", description: "Notes on the engine.", instructorId: instructor.id },
  });

  const response = await fetch(`${server.url}/`);
  const html = await response.text();
  expect(response.status).toBe(200);
  expect(html).toContain("<h1");
  expect(html).toContain("Livehall");
  expect(html).toContain("Analytical Engines");
  expect(html).toContain("Ada Lovelace");
  expect(html).toContain("0 live sessions");
});

test("an unknown page answers 404 with the app's own page", async () => {
  const response = await fetch(`${server.url}/no-such-page`);
  expect(response.status).toBe(404);
  expect(await response.text()).toContain("Page not found");
});
