import {
  JOB_NAMES,
  closeServices,
  createCaller,
  createContext,
  createLogger,
  createServices,
  type Services,
} from "@livehall/api";
import { loadWorkerConfig } from "@livehall/api/config";
import { asSessionUser, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";
import { recordRuns } from "./test-support";
import { startWorker, type RunningWorker } from "./worker";

let services: Services;
let worker: RunningWorker;

beforeAll(async () => {
  // Schedules far apart, so only the on-demand runs execute during the test.
  const config = loadWorkerConfig({
    ...process.env,
    TOKENS_EXPIRE_EVERY_SECONDS: "3600",
    PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
    HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
    SESSIONS_END_OVERRUN_EVERY_SECONDS: "3600",
  });
  services = createServices(config);
  const recorded = recordRuns(createJobHandlers(services));
  worker = await startWorker({ config, logger: createLogger(config, "test"), handlers: recorded.handlers });
  await worker.schedulersReady();
  // BullMQ starts an `every` schedule's first run at once; the test's tokens are inserted only after
  // those runs finished, so a scheduled tokens.expire cannot take them (the next one is an hour away).
  await waitFor(() => JOB_NAMES.every((name) => recorded.runs.some((run) => run.name === name)), {
    what: "the first scheduled run of every job",
  });
});
afterAll(async () => {
  await worker?.stop();
  await closeServices(services);
});

test("admin.runJob runs the job through the worker, answers its counts, and the overview shows the run", async () => {
  const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
  await services.db.refreshToken.createMany({
    data: Array.from({ length: 7 }, (_, i) => ({
      userId: admin!.id,
      familyId: crypto.randomUUID(),
      tokenHash: `${i}`.padStart(64, "e"),
      expiresAt: new Date(Date.now() - 60_000),
    })),
  });
  const caller = createCaller(createContext(services, { user: asSessionUser(admin!) }));
  expect(await caller.admin.runJob({ name: "tokens.expire" })).toEqual({
    name: "tokens.expire",
    counts: { expired: 7, revoked: 0 },
  });
  expect(await services.db.refreshToken.count()).toBe(0);

  const overview = await caller.admin.overview();
  expect(overview.workers).toBeGreaterThanOrEqual(1);
  const tokensJob = overview.jobs.find((job) => job.name === "tokens.expire")!;
  expect(tokensJob.lastRun).toMatchObject({ ok: true, trigger: "admin", counts: { expired: 7, revoked: 0 } });
  expect(tokensJob.nextRunAt).toBeInstanceOf(Date);
  expect(tokensJob.everyMs).toBe(3_600_000);
});
