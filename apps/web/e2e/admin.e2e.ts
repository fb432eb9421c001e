import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { JOB_NAMES, createCaller, createContext } from "@livehall/api";
import { seedId } from "@livehall/db/seed";
import { waitFor } from "@livehall/testing";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  artifactsDir,
  expectNoProblems,
  pathOf,
  seriousViolations,
  signIn,
  startE2E,
  visit,
  waitForPaint,
  type E2E,
} from "./harness";
import { signInThroughApi } from "./room-helpers";

// Schedules far apart, for the web server (what the page shows) and the worker alike: after their
// first runs at start-up, jobs run only when the admin runs them, so every count below is exact.
const TIMINGS = {
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "3600",
};
Object.assign(process.env, TIMINGS);

let e2e: E2E;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  e2e = await startE2E();
  await mkdir(artifactsDir, { recursive: true });
});
afterAll(async () => {
  await stopWorker();
  await e2e?.close();
});

/** The real worker process (as npm start runs it), on this file's database and Redis namespace. */
function startWorker() {
  const entry = fileURLToPath(new URL("../../worker/src/main.ts", import.meta.url));
  worker = spawn(process.execPath, ["--import", "tsx", entry], {
    env: {
      ...process.env,
      ...TIMINGS,
      NODE_ENV: "production",
      AUTH_SECRET: "w".repeat(32),
      WORKER_METRICS_PORT: "0",
      LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
}

async function stopWorker() {
  const running = worker;
  worker = null;
  if (!running || running.exitCode !== null) return;
  await new Promise((resolve) => {
    running.once("exit", resolve);
    running.kill("SIGTERM");
  });
}

async function adminCaller() {
  const admin = await e2e.server.services.db.user.findUniqueOrThrow({ where: { email: "admin@livehall.dev" } });
  return createCaller(
    createContext(e2e.server.services, { user: { id: admin.id, role: "ADMIN", familyId: randomUUID() } }),
  );
}

const figure = async (page: Page, testId: string) => Number(await page.getByTestId(`${testId}-value`).textContent());
const job = (page: Page, name: string) => page.getByTestId(`job-${name}`);

/** Presses "Run now" for a job and returns the counts its result shows. */
async function runNow(page: Page, name: string): Promise<Record<string, number>> {
  const card = job(page, name);
  await card.getByRole("button", { name: `Run now: ${name}` }).click();
  const result = card.getByTestId("run-result").getByRole("status");
  await result.waitFor({ timeout: 20_000 });
  return Object.fromEntries(
    await result
      .locator("[data-count]")
      .evaluateAll((items) =>
        items.map((item) => [item.getAttribute("data-count"), Number(item.querySelector("dd")?.textContent)]),
      ),
  ) as Record<string, number>;
}

describe("/admin in the browser", () => {
  test("without a worker, Run now says so clearly", async () => {
    const page = await e2e.newPage();
    await signIn(page, "admin@livehall.dev", undefined, "/login?redirectTo=%2Fadmin");
    expect(pathOf(page)).toBe("/admin");
    expect(await page.getByTestId("worker-status").textContent()).toBe("No worker running");
    await job(page, "tokens.expire").getByRole("button", { name: "Run now: tokens.expire" }).click();
    const alert = job(page, "tokens.expire").getByTestId("run-result").getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("No worker is running");
    expect(await alert.textContent()).toContain("Start the worker process");
    expectNoProblems(page);
  });

  test("with a worker: each job runs from the page and its counts change (tokens, participants, connections)", async () => {
    startWorker();
    const caller = await adminCaller();
    // The worker is up and its first runs at start-up are done (they also build presence from the seeded rows).
    await waitFor(
      async () => {
        const overview = await caller.admin.overview();
        return overview.workers === 1 && overview.jobs.every((item) => item.lastRun !== null);
      },
      { timeoutMs: 30_000, what: "the worker's start-up runs" },
    );

    // Drift to clean up, seeded through SQL: four refresh tokens that expired an hour ago…
    const admin = await e2e.server.services.db.user.findUniqueOrThrow({ where: { email: "admin@livehall.dev" } });
    await e2e.server.services.db.$executeRaw`
      INSERT INTO "RefreshToken" ("userId", "familyId", "tokenHash", "expiresAt", "createdAt")
      SELECT ${admin.id}::uuid, gen_random_uuid(), md5(random()::text) || md5(random()::text), now() - interval '1 hour', now() - interval '31 days'
      FROM generate_series(1, 4)`;
    // …a participant still "in" a session that ended yesterday…
    const lucas = await e2e.server.services.db.user.findUniqueOrThrow({
      where: { email: "lucas.oliveira@livehall.dev" },
    });
    await e2e.server.services.db.$executeRaw`
      INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
      VALUES (${seedId("session:ended-transactions")}::uuid, ${lucas.id}::uuid, now() - interval '1 day', now() - interval '1 day')`;
    // …and a room tab that stopped sending heartbeats ten minutes ago.
    const live = seedId("session:live-gradient-descent");
    await createCaller(
      createContext(e2e.server.services, { user: { id: lucas.id, role: "STUDENT", familyId: randomUUID() } }),
    ).session.join({
      sessionId: live,
      connectionId: "silent-tab-1",
    });
    await e2e.server.services.redis.zadd(
      e2e.server.services.keys.presence(live),
      Date.now() - 10 * 60_000,
      `${lucas.id}:silent-tab-1`,
    );

    const page = await e2e.newPage();
    await signInThroughApi(page, e2e.url, "admin@livehall.dev");
    await visit(page, "/admin");
    expect(await page.getByTestId("worker-status").textContent()).toBe("1 worker online");
    expect(await page.getByRole("article").count()).toBe(JOB_NAMES.length);
    const before = {
      expired: await figure(page, "figure-tokens-expired"),
      active: await figure(page, "figure-participants-active"),
      connections: await figure(page, "figure-connections"),
    };
    expect(before.expired).toBe(4);

    // tokens.expire deletes the four expired tokens; the figure drops to 0.
    expect(await runNow(page, "tokens.expire")).toEqual({ expired: 4, revoked: 0 });
    await expect.poll(() => figure(page, "figure-tokens-expired")).toBe(0);

    // participants.dedupe closes the row of the ended session: one active participant less, drift 1.
    expect(await runNow(page, "participants.dedupe")).toMatchObject({
      presenceRestored: 0,
      duplicatesClosed: 0,
      endedSessionRowsClosed: 1,
      disconnectedRowsClosed: 0,
      orphanConnectionsDropped: 0,
    });
    await expect.poll(() => figure(page, "figure-participants-active")).toBe(before.active - 1);
    await expect.poll(() => figure(page, "figure-drift")).toBe(1);
    expect(await page.getByTestId("drift-detail").textContent()).toContain("People taken out of ended sessions: 1");

    // heartbeats.evict evicts the silent tab and times its participant out.
    expect(await runNow(page, "heartbeats.evict")).toMatchObject({ connectionsEvicted: 1, participantsTimedOut: 1 });
    await expect.poll(() => figure(page, "figure-connections")).toBe(before.connections - 1);
    await expect.poll(() => figure(page, "figure-participants-active")).toBe(before.active - 2);
    const evicted = await e2e.server.services.db.sessionParticipant.findFirstOrThrow({
      where: { sessionId: live, userId: lucas.id },
    });
    expect(evicted.leaveReason).toBe("TIMEOUT");

    // Each job's last run is now the admin's, with its counts.
    for (const name of ["tokens.expire", "participants.dedupe", "heartbeats.evict"]) {
      await expect.poll(() => job(page, name).getByTestId("last-run").textContent()).toContain("on demand");
    }

    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await waitForPaint(page);
      await page.screenshot({
        path: path.join(artifactsDir, `admin-${width}.png`),
        fullPage: true,
        animations: "disabled",
      });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    }
    expect(await seriousViolations(page, "/admin")).toEqual([]);
    expectNoProblems(page);
  });

  test("students and instructors get the 403 page on /admin; anonymous visitors are sent to sign in", async () => {
    const anonymous = await e2e.newPage();
    await anonymous.goto("/admin");
    expect(pathOf(anonymous)).toBe(`/login?${new URLSearchParams({ redirectTo: "/admin" })}`);

    for (const [email, role] of [
      ["student@livehall.dev", "a student"],
      ["instructor@livehall.dev", "an instructor"],
    ] as const) {
      const page = await e2e.newPage();
      await signInThroughApi(page, e2e.url, email);
      const answer = await page.goto("/admin");
      expect(answer?.status()).toBe(403);
      await page.getByRole("heading", { level: 1, name: "This page is for admins" }).waitFor();
      expect(await page.getByText(`, ${role}.`).isVisible()).toBe(true);
      expect(await page.getByRole("link", { name: "Back to live sessions" }).isVisible()).toBe(true);
      if (role === "a student")
        await page.screenshot({ path: path.join(artifactsDir, "admin-403-1280.png"), animations: "disabled" });
      expectNoProblems(page);
    }
  });
});
