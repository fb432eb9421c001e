import type { Locator } from "playwright-core";
import { createCaller, createContext } from "@livehall/api";
import { describe, expect, test } from "vitest";
import { screenshot, seriousViolations, visit, type E2EPage } from "./harness";
import {
  createLiveSession,
  expectNoProblemsBut,
  expectRoom,
  instructorCaller,
  joinRoom,
  roomSuite,
  settled,
  signInThroughApi,
} from "./room-helpers";

const suite = roomSuite();

async function inRoom(email: string, sessionId: string, names: string[]): Promise<E2EPage> {
  const page = await suite.newPage();
  await signInThroughApi(page, suite.e2e.url, email);
  await visit(page, `/sessions/${sessionId}`);
  await joinRoom(page);
  await page.getByTestId("interaction").waitFor({ timeout: 15_000 });
  if (names.length > 0) await expectRoom(page, names);
  return page;
}

const texts = (locator: Locator) => locator.allTextContents();
const chatBodies = async (page: E2EPage) =>
  (await texts(page.getByTestId("chat-message").locator("p"))).map((text) => text.trim());

async function say(page: E2EPage, text: string, { asQuestion = false } = {}) {
  if (asQuestion) await page.getByTestId("ask-as-question").check();
  await page.getByTestId("chat-input").fill(text);
  await page.getByTestId("chat-send").click();
}

describe("room interaction", () => {
  test("a question and a hand reach the instructor, who answers and lowers; reactions cross; chat survives a drop and a reload", async () => {
    const services = suite.e2e.server.services;
    const { session } = await createLiveSession(services, "Interaction: questions and hands");
    const teacher = await inRoom("instructor@livehall.dev", session.id, []);
    const student = await inRoom("priya.raman@livehall.dev", session.id, ["Ines Instructor", "Priya Raman"]);

    // The student asks and raises a hand; the instructor sees both.
    await say(student, "How do generics narrow here?", { asQuestion: true });
    await student.getByTestId("my-hand").click();
    await expect.poll(() => student.getByTestId("my-hand").getAttribute("aria-pressed")).toBe("true");
    const question = teacher.getByTestId("questions").getByTestId("question");
    await expect.poll(() => texts(question)).toEqual([expect.stringContaining("How do generics narrow here?")]);
    await expect.poll(() => texts(teacher.getByTestId("hand"))).toEqual([expect.stringContaining("Priya Raman")]);
    // Links are links, markup is text.
    await say(student, "<b>see</b> https://example.test/docs");
    await expect.poll(() => chatBodies(teacher)).toContain("<b>see</b> https://example.test/docs");
    const link = teacher.getByTestId("chat-message").getByRole("link", { name: "https://example.test/docs" });
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(await teacher.locator("[data-testid=chat-message] b").count()).toBe(0);

    await screenshot(await settled(teacher), "room-interaction-instructor");
    await screenshot(await settled(student), "room-interaction-student", 375);
    expect(await seriousViolations(student, "student's room at 375 px")).toEqual([]);
    // The host at 375 px: each panel is a tab, with its moderation (delete and mute, mark answered, lower).
    const teacherTab = (panel: string) => teacher.getByTestId(`room-tab-${panel}`);
    await teacher.setViewportSize({ width: 375, height: 900 });
    await teacherTab("chat").click();
    await teacher
      .getByRole("button", { name: /Delete the message from Priya Raman/ })
      .first()
      .waitFor();
    await screenshot(await settled(teacher), "room-interaction-instructor-chat", 375);
    expect(await seriousViolations(teacher, "instructor's chat tab at 375 px")).toEqual([]);
    await teacherTab("questions").click();
    await question.getByTestId("mark-answered").waitFor();
    await screenshot(await settled(teacher), "room-interaction-instructor-questions", 375);
    expect(await seriousViolations(teacher, "instructor's questions tab at 375 px")).toEqual([]);
    await teacherTab("hands").click();
    await teacher.getByTestId("hand").getByRole("button", { name: /Lower/ }).waitFor();
    await screenshot(await settled(teacher), "room-interaction-instructor-hands", 375);
    expect(await seriousViolations(teacher, "instructor's hands tab at 375 px")).toEqual([]);
    await teacherTab("chat").click();
    await teacher.setViewportSize({ width: 1280, height: 900 });
    // At 375 px the panels are tabs: a message while Questions is open shows as unread on Chat.
    await student.getByTestId("room-tab-questions").click();
    await say(teacher, "Welcome, everyone");
    await expect.poll(() => student.getByTestId("unread-badge").textContent()).toBe("1 unread");
    await student.getByTestId("room-tab-chat").click();
    await expect.poll(() => student.getByTestId("unread-badge").count()).toBe(0);
    expect(await chatBodies(student)).toContain("Welcome, everyone");
    await student.setViewportSize({ width: 1280, height: 900 });
    expect(await seriousViolations(teacher, "instructor's room")).toEqual([]);

    // Answered and lowered: the student sees both.
    await question.getByTestId("mark-answered").click();
    await teacher.getByTestId("hand").getByRole("button", { name: /Lower/ }).click();
    await expect.poll(() => student.getByTestId("my-hand").getAttribute("aria-pressed")).toBe("false");
    await expect.poll(() => student.getByTestId("questions").getByTestId("question").count()).toBe(0);
    expect(await services.db.chatMessage.count({ where: { sessionId: session.id, answeredAt: { not: null } } })).toBe(
      1,
    );

    // A reaction appears on the other side.
    await student.getByRole("button", { name: "Applause" }).click();
    await expect.poll(() => texts(teacher.getByTestId("floating-reaction"))).toEqual([expect.stringContaining("👏")]);

    // A network drop: the message waits, then goes once; a reload with one unsent sends it once.
    await student.context().setOffline(true);
    await say(student, "sent while offline");
    await student.getByTestId("pending-message").waitFor();
    await student.context().setOffline(false);
    await student.evaluate(() => window.dispatchEvent(new Event("online")));
    await expect.poll(() => chatBodies(teacher)).toContain("sent while offline");
    // A send that never reaches the server (held until the page goes), then a reload: sent again, stored once.
    await student.route("**/api/trpc/session.sendMessage**", () => undefined);
    await say(student, "sent before a reload");
    await student.getByTestId("pending-message").waitFor();
    await student.unroute("**/api/trpc/session.sendMessage**");
    await student.reload();
    await joinRoom(student);
    await expect.poll(() => chatBodies(teacher)).toContain("sent before a reload");
    await expect.poll(() => chatBodies(student)).toContain("sent before a reload");
    for (const page of [teacher, student]) {
      const bodies = await chatBodies(page);
      expect(bodies.filter((body) => body === "sent while offline")).toHaveLength(1);
      expect(bodies.filter((body) => body === "sent before a reload")).toHaveLength(1);
    }
    expect(
      await services.db.chatMessage.count({
        where: { sessionId: session.id, body: { in: ["sent while offline", "sent before a reload"] } },
      }),
    ).toBe(2);
    expectNoProblemsBut(teacher);
    expectNoProblemsBut(student);
  });
  test("the host's room: every older message is reachable by scrolling up (an old open question stays in Questions); a send over the chat budget says so, then goes; the host deletes their own; panels beside the people at lg", async () => {
    const services = suite.e2e.server.services;
    const { session, instructorId } = await createLiveSession(services, "Interaction: the host's room");
    // 260 messages from a student, a second apart, #10 an open question.
    await services.db.$executeRaw`
      INSERT INTO "ChatMessage" ("sessionId", "authorId", "clientMessageId", body, "isQuestion", "createdAt")
      SELECT ${session.id}::uuid, u.id, 'seeded-' || n, 'message ' || n, n = 10,
             now() - interval '1 hour' + n * interval '1 second'
      FROM generate_series(1, 260) AS n, "User" u WHERE u.email = 'priya.raman@livehall.dev'`;
    const teacher = await inRoom("instructor@livehall.dev", session.id, []);
    await expect
      .poll(() => texts(teacher.getByTestId("questions").getByTestId("question")))
      .toEqual([expect.stringContaining("message 10")]);
    const log = teacher.getByRole("log", { name: "Chat messages" });
    const count = () => teacher.getByTestId("chat-message").count();
    await expect.poll(count).toBe(200);
    // Scrolled to the top, the earlier messages come in, a page at a time, until there are none.
    for (const expected of [250, 260]) {
      await log.evaluate((element) => element.scrollTo({ top: 0 }));
      await expect.poll(count).toBe(expected);
    }
    expect(await teacher.getByTestId("chat-older").count()).toBe(0);
    expect(await chatBodies(teacher)).toEqual(Array.from({ length: 260 }, (_, i) => `message ${i + 1}`));

    // Over the chat budget: the send is held until the rest of the host's budget is spent through the
    // API (same user), so it arrives with none left; it says so, counts down, then goes by itself.
    const host = instructorCaller(services, instructorId);
    let spent = 0;
    await teacher.route(
      "**/api/trpc/session.sendMessage**",
      async (route) => {
        for (;;) {
          const body = `quick ${++spent}`;
          const sent = await host.session
            .sendMessage({ sessionId: session.id, clientMessageId: `quick-${spent}-xxxx`, body })
            .catch((error: unknown) => error);
          if (sent instanceof Error) break;
        }
        await route.continue();
      },
      { times: 1 },
    );
    await say(teacher, "over the budget");
    const throttled = teacher.getByTestId("pending-throttled");
    await throttled.waitFor();
    expect(await throttled.textContent()).toMatch(/You.re sending messages too fast — sends in \d s/);
    await expect.poll(async () => (await chatBodies(teacher)).at(-1)).toBe("over the budget");
    expect(await throttled.count()).toBe(0);

    // The host deletes any message, their own too.
    await teacher.getByRole("button", { name: "Delete your message" }).last().click();
    await expect.poll(async () => (await chatBodies(teacher)).includes("over the budget")).toBe(false);
    // At lg the panels and the people in the room sit side by side.
    const interaction = await teacher.getByTestId("interaction").boundingBox();
    const people = await teacher.getByTestId("participants").boundingBox();
    expect(people!.x).toBeGreaterThanOrEqual(interaction!.x + interaction!.width);
    expect(people!.y).toBeLessThan(interaction!.y + interaction!.height);

    // Questions picked at 375 px, then the window widened: every panel is on screen, so a message
    // that arrives is read, and narrowing it again shows no unread count on Chat.
    await teacher.setViewportSize({ width: 375, height: 900 });
    await teacher.getByTestId("room-tab-questions").click();
    await teacher.setViewportSize({ width: 1280, height: 900 });
    const priya = await services.db.user.findUniqueOrThrow({ where: { email: "priya.raman@livehall.dev" } });
    const student = createCaller(
      createContext(services, { user: { id: priya.id, role: "STUDENT", familyId: crypto.randomUUID() } }),
    );
    await student.session.join({ sessionId: session.id, connectionId: "priya-api-tab" });
    await student.session.sendMessage({ sessionId: session.id, clientMessageId: "seen-at-lg-1", body: "seen at lg" });
    await expect.poll(() => chatBodies(teacher)).toContain("seen at lg");
    await teacher.setViewportSize({ width: 375, height: 900 });
    await teacher.getByTestId("room-tab-chat").waitFor();
    expect(await teacher.getByTestId("unread-badge").count()).toBe(0);
    expectNoProblemsBut(teacher);
  });
});
