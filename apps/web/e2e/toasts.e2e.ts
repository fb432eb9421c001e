import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectNoProblems, signIn, startE2E, visit, type E2E } from "./harness";

let e2e: E2E;
let courseId: string;

beforeAll(async () => {
  e2e = await startE2E();
  const course = await e2e.server.services.db.course.findUniqueOrThrow({
    where: { slug: "postgres-for-application-developers" },
  });
  courseId = course.id;
  // Enough upcoming sessions that the list reaches below the fold at both widths.
  await e2e.server.services.db.liveSession.createMany({
    data: Array.from({ length: 8 }, (_, index) => ({
      courseId,
      title: `Toast check ${index + 1}`,
      startsAt: new Date(Date.now() + (index + 2) * 86_400_000),
      plannedDurationMinutes: 30,
    })),
  });
});
afterAll(() => e2e?.close());

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Cancels `title` from its row, with the row's Cancel at `block` of the window; the toast and where the button was. */
async function cancelFrom(page: Page, title: string, block: "start" | "end") {
  const button = page.getByRole("button", { name: `Cancel: ${title}` });
  // "start" would sit under the sticky header: scroll it to the end, then up by most of a window.
  await button.evaluate((element) => element.scrollIntoView({ block: "end" }));
  if (block === "start") await page.evaluate(() => window.scrollBy(0, window.innerHeight - 200));
  const pressed = (await button.boundingBox())!;
  await button.click();
  await page
    .getByRole("dialog", { name: "Cancel this session?" })
    .getByRole("button", { name: "Cancel session" })
    .click();
  const toast = page.getByTestId("toast").filter({ hasText: `“${title}” is cancelled` });
  await toast.waitFor();
  return { pressed, toast: (await toast.boundingBox())! };
}

describe("toasts never cover the control they report on", () => {
  for (const width of [390, 1280]) {
    test(`at ${width} px, for a Cancel near the bottom and one near the top of the window`, async () => {
      const page = await e2e.newPage({ viewport: { width, height: 800 } });
      await signIn(page, "instructor@livehall.dev");
      await visit(page, `/teach/courses/${courseId}`);
      const near = width === 390 ? ["Toast check 1", "Toast check 2"] : ["Toast check 3", "Toast check 4"];

      const low = await cancelFrom(page, near[0]!, "end");
      expect(low.pressed.y + low.pressed.height).toBeGreaterThan(800 / 2);
      expect(overlaps(low.toast, low.pressed), JSON.stringify(low)).toBe(false);
      // Above it, under the header.
      expect(low.toast.y + low.toast.height).toBeLessThan(low.pressed.y);

      await page.getByRole("button", { name: "Dismiss" }).click();
      const high = await cancelFrom(page, near[1]!, "start");
      expect(high.pressed.y).toBeLessThan(800 / 2);
      expect(overlaps(high.toast, high.pressed), JSON.stringify(high)).toBe(false);
      expect(high.toast.y).toBeGreaterThan(high.pressed.y + high.pressed.height);
      expectNoProblems(page);
    });
  }
});
