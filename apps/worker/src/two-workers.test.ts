import { JOB_NAMES, JobName } from "@livehall/api";
import { afterEach, expect, test } from "vitest";
import { killLeftovers, maintenanceQueue, sleep, spawnWorker, workerConfig, type WorkerProcess } from "./test-support";

const spawned: WorkerProcess[] = [];
afterEach(() => killLeftovers(spawned));

const EVERY_MS: Record<JobName, number> = {
  [JobName.heartbeatsEvict]: 250,
  [JobName.tokensExpire]: 500,
  [JobName.participantsDedupe]: 500,
  [JobName.sessionsEndOverrun]: 500,
  [JobName.mediaReconcile]: 1000,
  [JobName.sessionMailSync]: 1000,
};

test("two worker processes on one queue: every scheduled slot runs once, about elapsed/interval runs per scheduler", async () => {
  const env = {
    HEARTBEATS_EVICT_EVERY_SECONDS: String(EVERY_MS[JobName.heartbeatsEvict] / 1000),
    TOKENS_EXPIRE_EVERY_SECONDS: String(EVERY_MS[JobName.tokensExpire] / 1000),
    PARTICIPANTS_DEDUPE_EVERY_SECONDS: String(EVERY_MS[JobName.participantsDedupe] / 1000),
    SESSIONS_END_OVERRUN_EVERY_SECONDS: String(EVERY_MS[JobName.sessionsEndOverrun] / 1000),
    MEDIA_RECONCILE_EVERY_SECONDS: String(EVERY_MS[JobName.mediaReconcile] / 1000),
    SESSION_MAIL_SYNC_EVERY_SECONDS: String(EVERY_MS[JobName.sessionMailSync] / 1000),
  };
  const workers = [spawnWorker(env, spawned), spawnWorker(env, spawned)];
  await Promise.all(
    workers.map((worker) =>
      worker.waitForLog((line) => line.msg === "job schedulers registered", "schedulers registered"),
    ),
  );
  await Promise.all(
    workers.map((worker) => worker.waitForLog((line) => line.msg === "worker started", "worker started")),
  );
  // The window: ~3 s with both processes up (their start-up, when the first slots run, is left out).
  const windowStart = Date.now();
  await sleep(3_000);
  const stoppedAt = Date.now();
  for (const worker of workers) worker.child.kill("SIGTERM");
  const exits = await Promise.all(workers.map((worker) => worker.exited));
  expect(exits).toEqual([
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);

  const { queue, completedSlots, close } = maintenanceQueue(workerConfig());
  try {
    expect(await queue.getFailedCount()).toBe(0);
    for (const name of JOB_NAMES) {
      const slots = await completedSlots(name);
      const every = EVERY_MS[name];
      const inWindow = slots.filter((s) => s.slot >= windowStart && s.slot <= stoppedAt);
      // A slot picked up more than one interval late (a busy machine) makes BullMQ compute the next
      // one from the current time: the slots already past are skipped, never run late or twice.
      // Counting them, every interval of the window is accounted for exactly once.
      let skipped = 0;
      for (let i = 1; i < slots.length; i++) {
        for (let t = slots[i - 1]!.slot + every; t < slots[i]!.slot - every / 2; t += every)
          if (t >= windowStart && t <= stoppedAt) skipped++;
      }
      const expected = (stoppedAt - windowStart) / every;
      expect(inWindow.length + skipped, name).toBeGreaterThanOrEqual(Math.floor(expected) - 1);
      expect(inWindow.length + skipped, name).toBeLessThanOrEqual(Math.ceil(expected) + 1);
      // Not ~2× (once per worker), and slots did run (how many were skipped depends on the machine's load).
      expect(inWindow.length, name).toBeLessThanOrEqual(Math.ceil(expected) + 1);
      expect(inWindow.length, name).toBeGreaterThan(0);
      // Slot ids are unique and consecutive slots are at least one interval apart.
      expect(new Set(slots.map((s) => s.job.id)).size, name).toBe(slots.length);
      for (let i = 1; i < slots.length; i++)
        expect(slots[i]!.slot - slots[i - 1]!.slot, name).toBeGreaterThanOrEqual(every);
      // Each slot's job was started once — or once more per failed attempt that was retried (a
      // transient failure; logged) — and never re-run as stalled.
      const failedAttempts = (id: string | undefined) =>
        workers.flatMap((worker) => worker.logs).filter((line) => line.msg === "job failed" && line.jobId === id)
          .length;
      for (const { job } of slots) {
        expect({ id: job.id, attemptsStarted: job.attemptsStarted, stalled: job.stalledCounter }).toEqual({
          id: job.id,
          attemptsStarted: 1 + failedAttempts(job.id),
          stalled: 0,
        });
      }

      // Each slot ran in exactly one of the two processes (their "job done" log lines).
      const ranBy = workers.map((worker) =>
        worker.logs.filter((line) => line.msg === "job done" && line.job === name).map((line) => line.jobId),
      );
      const all = ranBy.flat();
      expect(new Set(all).size, name).toBe(all.length);
      expect(all.sort(), name).toEqual(slots.map((s) => s.job.id).sort());
    }
  } finally {
    await close();
  }
});
