import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MAINTENANCE_QUEUE, createCaller, createContext, redisKeys, type Services } from "@livehall/api";
import { waitFor } from "@livehall/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Page } from "playwright-core";
import { mkdir } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { TIME_ZONE_COOKIE } from "../app/lib/time-zone";
import { DEMO_PASSWORD, artifactsDir, startE2E, type E2E, type E2EPage, type NewPageOptions } from "./harness";

/**
 * Short timings for the room spec's web server and worker (docs/architecture.md#timings: every timing comes from
 * the environment). Set before startE2E, which reads process.env; this file runs in its own process.
 */
export const ROOM_TIMINGS = {
  HEARTBEAT_INTERVAL_SECONDS: "1",
  // A tab beats every second here (30 s in production): the per-connection budget to match.
  ROOM_RATE_HEARTBEAT_PER_SECOND: "10",
  PRESENCE_TIMEOUT_SECONDS: "3",
  HEARTBEATS_EVICT_EVERY_SECONDS: "0.5",
  ACCESS_TOKEN_TTL_SECONDS: "5",
  // Retries after an outage: 250 ms · 2^attempt with full jitter, at most 2 s apart.
  CLIENT_BACKOFF_BASE_MS: "250",
  CLIENT_BACKOFF_CAP_MS: "2000",
  // Not under test here: out of the way.
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
} as const;

/** The real worker process (evicts silent connections), on this file's database and Redis namespace. */
export async function startWorker(env: Record<string, string> = {}): Promise<{ stop(): Promise<void> }> {
  const entry = fileURLToPath(new URL("../../worker/src/main.ts", import.meta.url));
  const worker: ChildProcess = spawn(process.execPath, ["--import", "tsx", entry], {
    env: { ...process.env, ...ROOM_TIMINGS, WORKER_METRICS_PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  const queue = new Queue(MAINTENANCE_QUEUE, {
    connection,
    prefix: redisKeys(process.env.REDIS_KEY_PREFIX!).bullPrefix(),
  });
  try {
    await waitFor(async () => worker.exitCode === null && (await queue.getWorkersCount()) > 0, {
      timeoutMs: 30_000,
      what: "the worker to start",
    });
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (worker.exitCode !== null) return resolve();
        worker.once("exit", () => resolve());
        worker.kill("SIGTERM");
      }),
  };
}

/**
 * Signs the page's browser context in through the API (auth.login with the cookie delivery, as the
 * sign-in form's action does): the context's request client shares its cookie jar. The form itself
 * is covered by auth.e2e.ts; here it would only add two page loads per user.
 */
export async function signInThroughApi(
  page: Page,
  baseUrl: string,
  email: string,
  password = DEMO_PASSWORD,
): Promise<void> {
  const response = await page.context().request.post(`${baseUrl}/api/trpc/auth.login`, {
    data: { json: { email, password } },
    headers: { origin: baseUrl },
  });
  expect(response.status(), await response.text()).toBe(200);
  const names = (await page.context().cookies())
    .map((cookie) => cookie.name)
    .filter((name) => name !== TIME_ZONE_COOKIE)
    .sort();
  expect(names).toEqual(["lh_at", "lh_rt"]);
}

/** A fresh live session of the seeded instructor's course (each test has its own room). */
export async function createLiveSession(services: Services, title: string) {
  const course = await services.db.course.findFirstOrThrow({
    where: { slug: "typescript-in-practice" },
    select: { id: true, instructorId: true },
  });
  const now = new Date();
  const session = await services.db.liveSession.create({
    data: {
      courseId: course.id,
      title,
      description:
        "Refactoring a real codebase to strict mode, live. Bring questions about narrowing, generics and the compiler's errors.",
      status: "LIVE",
      startsAt: new Date(now.getTime() - 5 * 60_000),
      startedAt: new Date(now.getTime() - 4 * 60_000),
      plannedDurationMinutes: 60,
    },
  });
  return { session, instructorId: course.instructorId };
}

/** The API caller as the course's instructor (as /teach would call it). */
export function instructorCaller(services: Services, instructorId: string) {
  return createCaller(
    createContext(services, { user: { id: instructorId, role: "INSTRUCTOR", familyId: crypto.randomUUID() } }),
  );
}

export const roomStatus = (page: Page) => page.getByTestId("connection-status");
export const phaseOf = (page: Page) => roomStatus(page).getAttribute("data-phase");
export const countOf = async (page: Page) =>
  Number(await page.getByTestId("participants").getByTestId("participant-count").textContent());
export const namesOf = (page: Page) => page.getByTestId("participant-name").allTextContents();

/** Presses Join on the pre-join screen (opening a room never joins by itself); waits for hydration. */
export async function joinRoom(page: Page): Promise<void> {
  await page.getByTestId("pre-join").waitFor();
  await page.locator('[data-testid="join"]:not([disabled])').click();
}

/** Connections (tabs) in the session's presence, from Redis. */
export async function tabsIn(services: Services, sessionId: string): Promise<number> {
  return services.redis.zcard(services.keys.presence(sessionId));
}

/** Waits for the room to be connected, its stream open, and the list to be `names` (any order). */
export async function expectRoom(page: Page, names: string[], { timeout = 15_000 }: { timeout?: number } = {}) {
  await expect.poll(() => phaseOf(page), { timeout }).toBe("connected");
  await expect.poll(async () => (await namesOf(page)).sort(), { timeout }).toEqual([...names].sort());
  await expect.poll(() => countOf(page), { timeout }).toBe(names.length);
}

/** Console errors Chromium prints for requests the test itself blocks (offline, aborted routes). */
const NETWORK_NOISE = /net::ERR_(FAILED|INTERNET_DISCONNECTED|ABORTED|NETWORK_CHANGED|CONNECTION_REFUSED)/;

export function expectNoProblemsBut(page: E2EPage, noise: RegExp = NETWORK_NOISE) {
  expect(page.problems.filter((problem) => !noise.test(problem))).toEqual([]);
}

/** Marks the document; still there later means the page was never reloaded. */
export async function markDocument(page: Page) {
  await page.evaluate(() => Object.assign(window, { __roomMarker: true }));
}
export async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __roomMarker?: boolean }).__roomMarker === true);
}

/** Two animation frames: a screenshot right after a state change can otherwise show the frame before it. */
export async function settled(page: Page): Promise<Page> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return page;
}

/**
 * The room specs' set-up, called once at the top of a spec: this file's web server and the real
 * worker with ROOM_TIMINGS, and the pages of each test closed after it (an open room heartbeats every
 * second and refreshes its 5-second token, which would only slow the next tests down).
 */
export function roomSuite() {
  const running: { e2e?: E2E; worker?: { stop(): Promise<void> } } = {};
  const opened: E2EPage[] = [];
  beforeAll(async () => {
    Object.assign(process.env, ROOM_TIMINGS);
    [running.e2e, running.worker] = await Promise.all([startE2E(), startWorker()]);
    await mkdir(artifactsDir, { recursive: true });
  });
  afterAll(async () => {
    await running.worker?.stop();
    await running.e2e?.close();
  });
  afterEach(async () => {
    await Promise.all(
      opened.splice(0).map((page) =>
        page
          .context()
          .close()
          .catch(() => undefined),
      ),
    );
  });
  return {
    get e2e(): E2E {
      return running.e2e!;
    },
    /** A page in a browser context of its own, closed after the test. */
    async newPage(options?: NewPageOptions): Promise<E2EPage> {
      const page = await running.e2e!.newPage(options);
      opened.push(page);
      return page;
    },
  };
}
