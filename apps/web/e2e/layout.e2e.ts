import { copyFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import {
  artifactsDir,
  e2eSuite,
  expectNoProblems,
  repoRoot,
  screenshot,
  seriousViolations,
  signIn,
  visit,
} from "./harness";

const suite = e2eSuite();

/** The left edges of the session cards, in order. */
async function cardColumns(page: Page): Promise<number[]> {
  return page
    .getByTestId("session-card")
    .evaluateAll((cards) => cards.map((card) => Math.round(card.getBoundingClientRect().x)));
}

async function overflow(page: Page) {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

describe("accessibility and layout", () => {
  test("axe-core: no serious or critical violations on /login, /signup and /sessions, signed out and in, with errors shown", async () => {
    const page = await suite.e2e.newPage();
    const found = [];
    await visit(page, "/login");
    found.push(...(await seriousViolations(page, "/login")));
    // With the inline errors on screen.
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Enter your email address.").waitFor();
    found.push(...(await seriousViolations(page, "/login with errors")));

    await visit(page, "/signup");
    found.push(...(await seriousViolations(page, "/signup")));
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Enter a valid email address.").waitFor();
    found.push(...(await seriousViolations(page, "/signup with errors")));

    await visit(page, "/sessions");
    found.push(...(await seriousViolations(page, "/sessions")));

    // Signed in as an admin (every navigation link), on a narrow screen (the menu, one column).
    await signIn(page, "admin@livehall.dev");
    await page.setViewportSize({ width: 375, height: 800 });
    await visit(page, "/sessions?tab=ended");
    found.push(...(await seriousViolations(page, "/sessions?tab=ended, signed in, 375 px")));
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByTestId("mobile-menu").waitFor();
    found.push(...(await seriousViolations(page, "/sessions?tab=ended, signed in, 375 px, menu open")));

    expect(found).toEqual([]);
    expectNoProblems(page);
  });

  test("responsive grid: three columns at 1280 px, two at 768 px", async () => {
    const page = await suite.e2e.newPage({ viewport: { width: 1280, height: 900 } });
    await visit(page, "/sessions");
    const wide = await cardColumns(page);
    expect(new Set(wide.slice(0, 3)).size).toBe(3);
    // Row two starts under the first card: three per row.
    expect(wide[3]).toBe(wide[0]);
    expect(new Set(wide).size).toBe(3);
    expect((await overflow(page)).scrollWidth).toBeLessThanOrEqual(1280);

    await page.setViewportSize({ width: 768, height: 900 });
    const medium = await cardColumns(page);
    expect(new Set(medium).size).toBe(2);
    expect(medium[2]).toBe(medium[0]);
  });

  test("no horizontal overflow at 375 px; touch targets of at least 44 px at 375 and 1280 px", async () => {
    const page = await suite.e2e.newPage({ viewport: { width: 375, height: 812 } });
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      for (const pathname of ["/login", "/signup", "/sessions"]) {
        await visit(page, pathname);
        const { scrollWidth, innerWidth } = await overflow(page);
        expect(scrollWidth, `${pathname} at ${width} px`).toBeLessThanOrEqual(innerWidth);
        const small = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>("a[href], button, input:not([type=hidden]), [role=tab]")]
            // Links inside running text are exempt (WCAG 2.5.8 "inline"), as are hidden skip links.
            .filter(
              (element) =>
                !element.closest("p") && element.getClientRects().length > 0 && !element.classList.contains("sr-only"),
            )
            .map((element) => ({ element, box: element.getBoundingClientRect() }))
            .filter(({ box }) => box.height < 44 || box.width < 44)
            .map(
              ({ element, box }) =>
                `${element.tagName} "${element.textContent?.trim()}" ${Math.round(box.width)}×${Math.round(box.height)}`,
            ),
        );
        expect(small, `${pathname} at ${width} px`).toEqual([]);
        if (pathname === "/sessions" && width === 375) expect(new Set(await cardColumns(page)).size).toBe(1);
      }
    }
    expectNoProblems(page);
  });

  test("keyboard: the skip link comes first and focus is always visible", async () => {
    const page = await suite.e2e.newPage();
    await visit(page, "/sessions");
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to main content" });
    expect(await skip.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await skip.isVisible()).toBe(true);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");

    // Keyboard focus is drawn with the theme's outline.
    await page.getByRole("tab", { name: "All" }).focus();
    await page.keyboard.press("ArrowRight");
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    expect(ring.style).toBe("solid");
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expectNoProblems(page);
  });

  test("screenshots of /sessions at 375 px and 1280 px", async () => {
    // Signed in, as a student sees it.
    const page = await suite.e2e.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "student@livehall.dev");
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await visit(page, "/sessions");
      const file = path.join(artifactsDir, `sessions-${width}.png`);
      await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
      expect(existsSync(file)).toBe(true);
    }
    // The README shows the 1280 px one; it is refreshed on request (or when missing), so that an
    // ordinary test run does not rewrite a committed file.
    const documented = path.join(repoRoot, "docs", "screenshots", "sessions-1280.png");
    if (process.env.UPDATE_SCREENSHOTS === "1" || !existsSync(documented)) {
      await mkdir(path.dirname(documented), { recursive: true });
      await copyFile(path.join(artifactsDir, "sessions-1280.png"), documented);
    }
    expectNoProblems(page);
  });
});

/** The header's height and the element that has focus, described by role and name. */
const headerHeight = (page: Page) =>
  page.getByRole("banner").evaluate((header) => Math.round(header.getBoundingClientRect().height));
const focused = (page: Page) =>
  page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    return element ? `${element.tagName.toLowerCase()} ${element.textContent?.trim() ?? ""}` : "";
  });

describe("the header", () => {
  for (const [who, email, links] of [
    ["a student", "student@livehall.dev", ["Sessions", "My schedule", "Teach on Livehall"]],
    ["an admin", "admin@livehall.dev", ["Sessions", "My schedule", "Teach", "Admin"]],
  ] as const) {
    test(`on a phone it is one row for ${who}; the menu reaches every link by keyboard and Escape closes it`, async () => {
      const page = await suite.e2e.newPage({ viewport: { width: 375, height: 812 } });
      const found = [];
      await signIn(page, email);
      await visit(page, "/sessions");
      expect(await headerHeight(page)).toBeLessThanOrEqual(72);
      // Nothing of the navigation shows until the menu opens.
      expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);

      // Keyboard only: Tab to Menu, open it, and Tab through every link to Sign out.
      const menu = page.getByRole("button", { name: "Menu" });
      for (let i = 0; i < 5 && !(await menu.evaluate((button) => button === document.activeElement)); i++)
        await page.keyboard.press("Tab");
      expect(await focused(page)).toBe("button Menu");
      expect(await menu.getAttribute("aria-expanded")).toBe("false");
      await page.keyboard.press("Enter");
      expect(await menu.getAttribute("aria-expanded")).toBe("true");
      const panel = page.locator(`[id="${await menu.getAttribute("aria-controls")}"]`);
      expect(await panel.isVisible()).toBe(true);
      const reached = [await focused(page)];
      for (let i = 0; i < links.length; i++) {
        await page.keyboard.press("Tab");
        reached.push(await focused(page));
      }
      expect(reached).toEqual([...links.map((link) => `a ${link}`), "button Sign out"]);
      await screenshot(page, `header-menu-${email.split("@")[0]}`, 375);
      found.push(...(await seriousViolations(page, `menu open, ${who}, 375 px`)));

      // Escape closes it and gives focus back to Menu; the page under it did not move.
      await page.keyboard.press("Escape");
      expect(await menu.getAttribute("aria-expanded")).toBe("false");
      expect(await panel.isVisible()).toBe(false);
      expect(await focused(page)).toBe("button Menu");

      // A link followed from the menu (the last one, by keyboard) closes it.
      await page.keyboard.press("Enter");
      for (let i = 1; i < links.length; i++) await page.keyboard.press("Tab");
      expect(await focused(page)).toBe(`a ${links[links.length - 1]}`);
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => url.pathname !== "/sessions");
      await expect.poll(() => menu.getAttribute("aria-expanded")).toBe("false");
      expect(await headerHeight(page)).toBeLessThanOrEqual(72);

      for (const width of [375, 390]) {
        await visit(page, "/sessions");
        await screenshot(page, `header-${email.split("@")[0]}`, width);
        expect(await headerHeight(page)).toBeLessThanOrEqual(72);
      }
      // From 640 px the desktop header is as before: the links and Sign out in the bar, no Menu.
      await screenshot(page, `header-${email.split("@")[0]}`, 1280);
      expect(await headerHeight(page)).toBeLessThanOrEqual(72);
      expect(await menu.isVisible()).toBe(false);
      for (const link of links)
        expect(
          await page
            .getByRole("navigation", { name: "Main" })
            .getByRole("link", { name: link, exact: true })
            .isVisible(),
        ).toBe(true);
      expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);

      expect(found).toEqual([]);
      expectNoProblems(page);
    });
  }

  test("a missing page keeps the signed-in header (the name, and the menu on a phone)", async () => {
    const page = await suite.e2e.newPage();
    await signIn(page, "student@livehall.dev");
    const answer = await page.goto("/no-such-page");
    expect(answer?.status()).toBe(404);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(await page.getByTestId("signed-in-user").textContent()).toContain("Sam Student");
    expect(await page.getByRole("link", { name: "Sign in" }).count()).toBe(0);
    await screenshot(page, "not-found", 375);
    expect(await page.getByRole("button", { name: "Menu" }).isVisible()).toBe(true);
    expectNoProblems(page);
  });
});
