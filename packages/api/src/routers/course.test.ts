import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { z } from "zod";
import type { SessionUser } from "../context";
import { reasonOf } from "../errors";
import { COURSE_SLUG_MAX_LENGTH, COURSE_TITLE_MAX_LENGTH } from "../limits";
import { createCaller } from "../root";
import { slugify } from "../services/course";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { createTestServices, insertUsers } from "../testing/services";

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
    expect(items.map((course) => course.title)).toEqual([
      "Algorithms",
      "Biology",
      "Compilers",
      "Databases",
      "Networks",
    ]);
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

type Person = { id: string; role: SessionUser["role"] };
let ada: Person, grace: Person, admin: Person, student: Person;
const as = (user: Person) => createCaller(context({ ...user, familyId: "f" }));
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000001";

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none" }),
    (error: TRPCError) => ({ code: error.code, reason: reasonOf(error) }),
  );

describe("course management", () => {
  beforeAll(async () => {
    const teachers = await insertUsers(services, 2, { role: "INSTRUCTOR", emailPrefix: "manage-teacher" });
    [ada, grace] = [teachers[0]!, teachers[1]!];
    admin = (await insertUsers(services, 1, { role: "ADMIN", emailPrefix: "manage-admin" }))[0]!;
    student = (await insertUsers(services, 1, { role: "STUDENT", emailPrefix: "manage-student" }))[0]!;
  });

  describe("course.create", () => {
    test("an instructor creates a course they teach; the slug comes from the title", async () => {
      const course = await as(ada).course.create({ title: "  Intro to C++  ", description: "Pointers and more." });
      expect(course).toMatchObject({
        slug: "intro-to-c",
        title: "Intro to C++",
        description: "Pointers and more.",
        instructor: { id: ada.id, name: expect.any(String) },
        sessionCount: 0,
      });
      expect(course.createdAt).toBeInstanceOf(Date);
    });

    test("a taken generated slug gets a short suffix, also when ten race for it", async () => {
      const again = await as(grace).course.create({ title: "Intro to C++" });
      expect(again.slug).toMatch(/^intro-to-c-[a-z2-9]{5}$/);
      expect(again.description).toBe("");
      const racing = await Promise.all(
        Array.from({ length: 10 }, () => as(grace).course.create({ title: "Popular Title" })),
      );
      const slugs = racing.map((course) => course.slug);
      expect(new Set(slugs).size).toBe(10);
      expect(slugs).toContain("popular-title");
      for (const slug of slugs) expect(slug).toMatch(/^popular-title(-[a-z2-9]{5})?$/);
    });

    test("an explicit slug is used as given (lowercased) and must be free", async () => {
      await expect(as(ada).course.create({ title: "Mine", slug: "Ada-Special" })).resolves.toMatchObject({
        slug: "ada-special",
      });
      expect(await failureOf(as(grace).course.create({ title: "Other", slug: "ada-special" }))).toEqual({
        code: "CONFLICT",
        reason: "SLUG_TAKEN",
      });
      for (const slug of ["has space", "trailing-", "-leading", "double--dash", "ümlaut", "x".repeat(61), ""]) {
        expect(await failureOf(as(ada).course.create({ title: "Bad slug", slug }))).toEqual({
          code: "BAD_REQUEST",
          reason: "INVALID_INPUT",
        });
      }
    });

    test("a title or slug over its limit is refused with the limit in words", async () => {
      const messages = async (input: { title: string; slug?: string }) =>
        (
          (await as(ada)
            .course.create(input)
            .catch((error: unknown) => error)) as { cause: z.ZodError }
        ).cause.issues.map((issue) => issue.message);
      expect(await messages({ title: "x".repeat(COURSE_TITLE_MAX_LENGTH + 1) })).toEqual([
        "Title can be at most 120 characters.",
      ]);
      expect(await messages({ title: "Fine", slug: "x".repeat(COURSE_SLUG_MAX_LENGTH + 1) })).toEqual([
        "The address can be at most 60 characters.",
      ]);
    });

    test("titles without letters or digits, and accented titles, still get a usable slug", async () => {
      await expect(as(ada).course.create({ title: "Café Ünïcode" })).resolves.toMatchObject({ slug: "cafe-unicode" });
      await expect(as(ada).course.create({ title: "!!!" })).resolves.toMatchObject({ slug: "course" });
    });

    test("an admin creates a course as its instructor; a student or nobody cannot", async () => {
      await expect(as(admin).course.create({ title: "Admin course" })).resolves.toMatchObject({
        instructor: { id: admin.id },
      });
      expect(await failureOf(as(student).course.create({ title: "Nope" }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
      expect(await failureOf(createCaller(context()).course.create({ title: "Nope" }))).toEqual({
        code: "UNAUTHORIZED",
        reason: "UNAUTHENTICATED",
      });
      expect(await failureOf(as(ada).course.create({ title: "   " }))).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    });
  });

  describe("course.update", () => {
    test("its instructor changes title and description; the slug stays", async () => {
      const course = await as(ada).course.create({ title: "Draft title" });
      const updated = await as(ada).course.update({ courseId: course.id, title: "Final title" });
      expect(updated).toMatchObject({ id: course.id, slug: "draft-title", title: "Final title", description: "" });
      await expect(
        as(ada).course.update({ courseId: course.id, description: "Now described." }),
      ).resolves.toMatchObject({
        title: "Final title",
        description: "Now described.",
      });
    });

    test("another instructor cannot, an admin can, a student cannot; unknown ids are COURSE_NOT_FOUND", async () => {
      const course = await as(ada).course.create({ title: "Guarded" });
      expect(await failureOf(as(grace).course.update({ courseId: course.id, title: "Taken over" }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
      expect(await failureOf(as(student).course.update({ courseId: course.id, title: "Taken over" }))).toEqual({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
      expect((await services.db.course.findUniqueOrThrow({ where: { id: course.id } })).title).toBe("Guarded");
      await expect(as(admin).course.update({ courseId: course.id, title: "Moderated" })).resolves.toMatchObject({
        title: "Moderated",
        instructor: { id: ada.id },
      });
      expect(await failureOf(as(ada).course.update({ courseId: UNKNOWN_ID, title: "x" }))).toEqual({
        code: "NOT_FOUND",
        reason: "COURSE_NOT_FOUND",
      });
      expect(await failureOf(as(ada).course.update({ courseId: course.id, title: "" }))).toEqual({
        code: "BAD_REQUEST",
        reason: "INVALID_INPUT",
      });
    });
  });

  describe("course.mine", () => {
    test("an instructor sees their own courses, an admin every course, a student none", async () => {
      const mine = await as(grace).course.mine({ limit: 100 });
      expect(mine.items.length).toBeGreaterThan(0);
      expect(mine.items.every((course) => course.instructor.id === grace.id)).toBe(true);
      const all = await as(admin).course.mine({ limit: 100 });
      expect(all.items.length).toBe(await services.db.course.count());
      expect(await failureOf(as(student).course.mine())).toEqual({ code: "FORBIDDEN", reason: "FORBIDDEN" });
    });
  });

  describe("course.byId", () => {
    test("public: the course with its live sessions first, then upcoming ones by start time", async () => {
      const course = await as(ada).course.create({ title: "With sessions" });
      const [s1, s2] = (await insertUsers(services, 2, { emailPrefix: "byid-student" })).map((user) => user.id);
      const session = (title: string, status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED", startsInHours: number) =>
        services.db.liveSession.create({
          data: {
            courseId: course.id,
            title,
            status,
            startsAt: new Date(Date.now() + startsInHours * 3_600_000),
            plannedDurationMinutes: 60,
          },
        });
      const later = await session("Later", "SCHEDULED", 48);
      const sooner = await session("Sooner", "SCHEDULED", 2);
      const live = await session("Live now", "LIVE", -1);
      await session("Done", "ENDED", -48);
      await session("Called off", "CANCELLED", -24);
      await services.db.sessionParticipant.createMany({
        data: [
          { sessionId: live.id, userId: s1! },
          { sessionId: live.id, userId: s2! },
          { sessionId: live.id, userId: ada.id, leftAt: new Date(), leaveReason: "LEFT" },
        ],
      });
      const answer = await createCaller(context()).course.byId({ courseId: course.id });
      expect(answer).toMatchObject({
        id: course.id,
        title: "With sessions",
        slug: "with-sessions",
        instructor: { id: ada.id },
        sessionCount: 5,
      });
      expect(answer.sessions.map((item) => [item.id, item.status, item.participantCount])).toEqual([
        [live.id, "LIVE", 2],
        [sooner.id, "SCHEDULED", 0],
        [later.id, "SCHEDULED", 0],
      ]);
      expect(await failureOf(createCaller(context()).course.byId({ courseId: UNKNOWN_ID }))).toEqual({
        code: "NOT_FOUND",
        reason: "COURSE_NOT_FOUND",
      });
    });
  });
});

describe("slugify", () => {
  test.each([
    ["Intro to C++", "intro-to-c"],
    ["  Hello,   World!  ", "hello-world"],
    ["Crème brûlée 101", "creme-brulee-101"],
    ["日本語", "course"],
    ["a".repeat(80), "a".repeat(60)],
    [`${"a".repeat(59)} b`, "a".repeat(59)],
  ])("%s → %s", (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });
});

describe("malformed input never causes a 500", () => {
  const UUID = "00000000-0000-4000-8000-000000000002";
  const shortText = (value: unknown) =>
    typeof value === "string" && value.length <= 120 && !value.includes("\u0000") && value.trim() !== "";
  const procedures: {
    path: string;
    type: "query" | "mutation";
    valid: Record<string, unknown>;
    required: string[];
    lenient?: Record<string, (value: unknown) => boolean>;
    numRuns?: number;
  }[] = [
    {
      path: "course.list",
      type: "query",
      valid: { cursor: UUID, limit: 5 },
      required: [],
      lenient: { limit: (value) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 100 },
    },
    {
      path: "course.mine",
      type: "query",
      valid: { cursor: UUID, limit: 5 },
      required: [],
      lenient: { limit: (value) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 100 },
    },
    { path: "course.byId", type: "query", valid: { courseId: UUID }, required: ["courseId"] },
    {
      path: "course.create",
      type: "mutation",
      // An explicit slug that is taken would be a 409, so the valid input names a slug nobody has.
      valid: { title: "T", description: "D", slug: "never-taken-slug-for-fuzzing" },
      required: ["title"],
      lenient: {
        title: shortText,
        description: (value) => typeof value === "string" && value.length <= 5_000 && !value.includes("\u0000"),
        slug: (value) =>
          typeof value === "string" && /^[a-z0-9]+(?:-[a-z0-9]+)*$/i.test(value.trim()) && value.trim().length <= 60,
      },
    },
    {
      path: "course.update",
      type: "mutation",
      valid: { courseId: UUID, title: "T", description: "D" },
      required: ["courseId"],
      lenient: {
        title: shortText,
        description: (value) => typeof value === "string" && value.length <= 5_000 && !value.includes("\u0000"),
      },
    },
    // Enrollment (docs/decisions/020): fewer runs each, the inputs are small.
    {
      path: "course.bySlug",
      type: "query",
      valid: { slug: "never-taken-slug-for-fuzzing" },
      required: ["slug"],
      lenient: {
        slug: (value) =>
          typeof value === "string" && /^[a-z0-9]+(?:-[a-z0-9]+)*$/i.test(value.trim()) && value.trim().length <= 60,
      },
      numRuns: 20,
    },
    {
      path: "course.enroll",
      type: "mutation",
      valid: { courseId: UUID, inviteCode: "ABCDE23456" },
      required: ["courseId"],
      lenient: {
        inviteCode: (value) => typeof value === "string" && /^[A-Za-z0-9 -]*$/.test(value) && value.length <= 32,
      },
      numRuns: 20,
    },
    { path: "course.unenroll", type: "mutation", valid: { courseId: UUID }, required: ["courseId"], numRuns: 20 },
    { path: "course.roster", type: "query", valid: { courseId: UUID }, required: ["courseId"], numRuns: 20 },
    {
      path: "course.setPolicy",
      type: "mutation",
      valid: { courseId: UUID, policy: "INVITE" },
      required: ["courseId", "policy"],
      numRuns: 20,
    },
    {
      path: "course.setInviteCode",
      type: "mutation",
      valid: { courseId: UUID, enabled: true },
      required: ["courseId", "enabled"],
      // Either boolean is a valid `enabled`.
      lenient: { enabled: (value) => typeof value === "boolean" },
      numRuns: 20,
    },
    {
      path: "course.addStudents",
      type: "mutation",
      valid: { courseId: UUID, emails: ["someone@example.test"] },
      required: ["courseId", "emails"],
      numRuns: 20,
    },
    {
      path: "course.removeStudent",
      type: "mutation",
      valid: { courseId: UUID, userId: UUID },
      required: ["courseId", "userId"],
      numRuns: 20,
    },
    {
      path: "course.cancelInvitation",
      type: "mutation",
      valid: { courseId: UUID, email: "someone@example.test" },
      required: ["courseId", "email"],
      numRuns: 20,
    },
  ];

  for (const procedure of procedures) {
    test(`${procedure.path}: wrong, missing and extra fields answer 400 INVALID_INPUT; any JSON value below 500`, async () => {
      await assertRejectsMalformedInput({
        ...procedure,
        extraWrongValues: ["", "not-a-uuid", "a\u0000b", "Not A Slug!"],
        context: () => context({ ...admin, familyId: "f" }),
        numRuns: procedure.numRuns ?? 60,
      });
    });
  }
});
