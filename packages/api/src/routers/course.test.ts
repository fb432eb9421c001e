import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { createTestServices } from "../testing/services";

const { services, context, close } = createTestServices();
afterAll(close);

beforeAll(async () => {
  const instructor = await services.db.user.create({
    data: { email: "teacher@example.test", name: "Tess Teacher", passwordHash: "x", role: "INSTRUCTOR" },
  });
  const titles = ["Databases", "Algorithms", "Compilers", "Networks", "Biology"];
  for (const title of titles) {
    await services.db.course.create({
      data: { slug: title.toLowerCase(), title, description: `All about ${title}`, instructorId: instructor.id },
    });
  }
});

describe("course.list", () => {
  test("lists every course by title with its instructor", async () => {
    const { items, nextCursor } = await createCaller(context()).course.list();
    expect(items.map((course) => course.title)).toEqual(["Algorithms", "Biology", "Compilers", "Databases", "Networks"]);
    expect(items[0]).toMatchObject({ slug: "algorithms", instructor: { name: "Tess Teacher" }, sessionCount: 0 });
    expect(nextCursor).toBeNull();
  });

  test("pages with a stable cursor and never repeats or skips a course", async () => {
    const caller = createCaller(context());
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await caller.course.list({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((course) => course.title));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(["Algorithms", "Biology", "Compilers", "Databases", "Networks"]);
  });

  test("rejects a limit outside 1–100", async () => {
    await expect(createCaller(context()).course.list({ limit: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
