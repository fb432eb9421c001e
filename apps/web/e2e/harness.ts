import { mkdir } from "node:fs/promises";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { seed } from "@livehall/db/seed";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { startTestServer, type TestServer } from "../server/test-server";
import { TIME_ZONE_COOKIE } from "../app/lib/time-zone";
import { chromiumPath } from "./ensure-chromium.mjs";
import { appRoot, artifactsDir } from "./paths";

export { artifactsDir, repoRoot } from "./paths";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** How often an open sessions page refreshes in the specs that watch it change (the default is 10 s). */
export const TEST_REFRESH_SECONDS = 1;

export interface E2EPage extends Page {
  /** Uncaught errors and console errors (hydration mismatches are console errors in React 18). */
  problems: string[];
}

export interface E2E {
  server: TestServer;
  browser: Browser;
  url: string;
  /**
   * A fresh browser context (own cookies) and page on it. With JavaScript on, the context starts
   * with the time-zone hint cookie its zone would set (app/lib/time-zone.ts), so no spec pays the
   * hint's one reload on its first page; `timeZoneHint: false` leaves it to the page's script.
   */
  newPage(options?: NewPageOptions): Promise<E2EPage>;
  close(): Promise<void>;
}

export type NewPageOptions = BrowserContextOptions & { timeZoneHint?: boolean };

const IGNORED_CONSOLE = [
  // Chromium logs every non-2xx answer; the answers the tests expect (401, 409, 429) are checked by them.
  /Failed to load resource: the server responded with a status of 4\d\d/,
  // A revalidation still in flight when a test navigates away is cancelled, and says so.
  /AbortError/,
];

/**
 * Starts this test file's web server (the production build of the app, against the file's own
 * database and Redis namespace, seeded with the demo data) and a headless Chromium.
 */
export async function startE2E({
  refreshSeconds,
  dev = false,
  env = {},
  port,
  chromiumArgs = [],
}: {
  refreshSeconds?: number;
  /** Serve the app through the Vite dev server, as `npm run dev` does, instead of the build. */
  dev?: boolean;
  /** Environment overrides for the web server. */
  env?: Record<string, string>;
  /** The web server's port (default: a free one). */
  port?: number;
  /** Chromium flags on top of CHROMIUM_ARGS. */
  chromiumArgs?: string[];
} = {}): Promise<E2E> {
  const [server, browser] = await Promise.all([
    startTestServer({
      // The production build of this run (e2e/global-setup.ts), as `npm start` serves it.
      ...(dev ? { remix: "vite", appRoot } : { remix: "build", appRoot: inject("e2eAppRoot") }),
      env: {
        LOG_LEVEL: "warn",
        ...(refreshSeconds ? { SESSIONS_REFRESH_SECONDS: String(refreshSeconds) } : {}),
        ...env,
      },
      port,
    }),
    chromium.launch({ executablePath: chromiumPath(), headless: true, args: [...CHROMIUM_ARGS, ...chromiumArgs] }),
  ]);
  // The server listens on a random port; its own origin sends the sign-in forms (the CSRF rule).
  server.services.config.appOrigins.push(server.url);
  await seed(server.services.db);
  const contexts = new Set<BrowserContext>();

  const e2e: E2E = {
    server,
    browser,
    url: server.url,
    async newPage({ timeZoneHint = true, ...options } = {}) {
      // Reduced motion (the app honours it) stops the LIVE pulse and hover transitions: in software
      // rendering every animated frame re-composites the blurred glass cards, which slows every step.
      const context = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 1280, height: 900 },
        reducedMotion: "reduce",
        ...options,
      });
      contexts.add(context);
      if (timeZoneHint && options.javaScriptEnabled !== false) {
        const zone = options.timezoneId ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        await context.addCookies([{ name: TIME_ZONE_COOKIE, value: encodeURIComponent(zone), url: server.url }]);
      }
      const page = (await context.newPage()) as E2EPage;
      page.problems = [];
      page.on("pageerror", (error) => page.problems.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        const text = message.text();
        // Chromium reports what the Content-Security-Policy blocked, at whatever level.
        if (/Content Security Policy/i.test(text)) return void page.problems.push(`csp: ${text}`);
        if (message.type() !== "error") return;
        if (IGNORED_CONSOLE.some((pattern) => pattern.test(text))) return;
        page.problems.push(`console.error: ${text}`);
      });
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };

  return e2e;
}

/**
 * A spec's set-up, called once at its top: the web server and browser of startE2E, with the options
 * `options` gives when the tests start, and the screenshot folder, all ready before its tests and
 * closed after them.
 */
export function e2eSuite(options: () => Promise<Parameters<typeof startE2E>[0]> = async () => ({})): {
  readonly e2e: E2E;
} {
  let started: E2E | undefined;
  beforeAll(async () => {
    started = await startE2E(await options());
    await mkdir(artifactsDir, { recursive: true });
  });
  afterAll(() => started?.close());
  return {
    get e2e(): E2E {
      return started!;
    },
  };
}

/** Goes to `path` and waits until React has hydrated the page (JS features work from then on). */
export async function visit(page: Page, path: string, { timeoutMs = 30_000 } = {}): Promise<void> {
  await page.goto(path, { timeout: timeoutMs });
  await waitForHydration(page, timeoutMs);
}

export async function waitForHydration(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector("html[data-hydrated]", { state: "attached", timeout: timeoutMs });
}

/**
 * Waits until the browser has painted twice: after a viewport change, a full-page screenshot taken
 * at once can show tiles that were not repainted yet (a blank block over the page).
 */
export async function waitForPaint(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** The page's path and query, e.g. `/sessions?tab=live`. */
export function pathOf(page: Page): string {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
}

export function expectNoProblems(page: E2EPage): void {
  expect(page.problems).toEqual([]);
}

export const DEMO_PASSWORD = "livehall-demo";

/** Signs in through the form (from wherever the page is). */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD, from = "/login"): Promise<void> {
  await visit(page, from);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

/** axe on the page as it is: the serious and critical violations (the others are logged). */
export async function seriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter(
    (violation) => violation.impact === "serious" || violation.impact === "critical",
  );
  const minor = results.violations.filter((violation) => !serious.includes(violation));
  if (minor.length > 0)
    console.log(`axe on ${label}, minor/moderate: ${minor.map((violation) => violation.id).join(", ")}`);
  return serious.map((violation) => ({
    page: label,
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary ?? ""}`),
  }));
}

/**
 * A full-page screenshot at `width` into the artifacts folder (`<name>-<width>.png`), from the top so
 * the sticky header is where it belongs; and nothing sticks out sideways at that width.
 */
export async function screenshot(page: Page, name: string, width = 1280): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await waitForPaint(page);
  await page.screenshot({
    path: path.join(artifactsDir, `${name}-${width}.png`),
    fullPage: true,
    animations: "disabled",
  });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

/** The toast whose text contains `text`. */
export const toastWith = (page: Page, text: string) => page.getByTestId("toast").filter({ hasText: text });
