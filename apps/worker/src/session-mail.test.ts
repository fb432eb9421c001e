import {
  SESSION_MAIL_QUEUE,
  createCaller,
  createContext,
  createLogger,
  reminderJobId,
  cancellationJobId,
  redisKeys,
  type Services,
  type SessionMailJob,
} from "@livehall/api";
import { enrollUsers, fakeClock, insertUsers } from "@livehall/api/testing";
import { linkIn, startTestSmtpServer, waitFor, type ReceivedMail } from "@livehall/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createJobHandlers, createSessionMailHandler } from "./handlers";
import { killLeftovers, spawnWorker, workerConfig, workerServices, type WorkerProcess } from "./test-support";
import { startWorker, type RunningWorker } from "./worker";

/**
 * Session mails against a real SMTP server (smtp-server, started here) with the reminder lead time
 * shortened to 20 s: a session starting 21.5 s from now gets its reminder about 1.5 s from now, and
 * has not started yet when the tests look again.
 */
const smtp = await startTestSmtpServer();
const APP_URL = "https://classes.example.test";
const LEAD_MS = 20_000;
const QUIET = {
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "3600",
  MEDIA_RECONCILE_EVERY_SECONDS: "3600",
  SESSION_MAIL_SYNC_EVERY_SECONDS: "3600",
};
const env = {
  ...QUIET,
  SMTP_URL: smtp.url,
  APP_URL,
  MAIL_FROM: "Livehall <classes@example.test>",
  SESSION_REMINDER_LEAD_MINUTES: String(LEAD_MS / 60_000),
};
const config = workerConfig(env);
let services: Services;
let worker: RunningWorker | null = null;
const mailQueue = new Queue<SessionMailJob>(SESSION_MAIL_QUEUE, {
  connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }),
  prefix: redisKeys(config.redisKeyPrefix).bullPrefix(),
});
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  services = await workerServices(config);
});
afterEach(async () => {
  await killLeftovers(spawned);
  await worker?.stop();
  worker = null;
});
afterAll(async () => {
  await mailQueue.close();
  await services.db.$disconnect();
  await Promise.allSettled([services.redis.quit(), services.events.close(), services.jobs.close()]);
  await services.mailer.close();
  await smtp.close();
});

const startInProcess = async () => {
  worker = await startWorker({
    config,
    logger: createLogger(config, "worker-test"),
    handlers: createJobHandlers(services),
    sessionMail: createSessionMailHandler(services),
  });
};

type Person = { id: string; email: string; role: "STUDENT" | "INSTRUCTOR" | "ADMIN" };
const as = (user: Person) =>
  createCaller(createContext(services, { user: { ...user, familyId: crypto.randomUUID() } }));

/** A course with its instructor and students: verified ones, and one each unverified, opted out, not enrolled. */
async function classroom(tag: string, verified = 3) {
  const [teacher] = (await insertUsers(services, 1, { role: "INSTRUCTOR", emailPrefix: `${tag}-teacher` })) as Person[];
  const students = (await insertUsers(services, verified, { emailPrefix: `${tag}-in` })) as Person[];
  const [unverified] = (await insertUsers(services, 1, {
    emailPrefix: `${tag}-unverified`,
    verified: false,
  })) as Person[];
  const [optedOut] = (await insertUsers(services, 1, { emailPrefix: `${tag}-optedout` })) as Person[];
  const [outsider] = (await insertUsers(services, 1, { emailPrefix: `${tag}-outsider` })) as Person[];
  await services.db.user.update({ where: { id: optedOut!.id }, data: { sessionReminders: false } });
  const course = await services.db.course.create({
    data: { slug: tag, title: `Course ${tag}`, instructorId: teacher!.id },
  });
  await enrollUsers(services, course.id, [...students, unverified!, optedOut!]);
  return {
    teacher: teacher!,
    students,
    unverified: unverified!,
    optedOut: optedOut!,
    outsider: outsider!,
    courseId: course.id,
  };
}

const schedule = (teacher: Person, courseId: string, title: string, startsAt: Date) =>
  as(teacher).session.create({ courseId, title, description: "", startsAt, plannedDurationMinutes: 45 });

/** Starts `ms` after the reminder's lead time from now: its reminder is due `ms` from now. */
const reminderIn = (ms: number) => new Date(Date.now() + LEAD_MS + ms);

const mailsAbout = (title: string, subject: RegExp) =>
  smtp.received.filter((mail) => subject.test(mail.subject) && mail.subject.includes(title));
const recipients = (mails: ReceivedMail[]) => mails.flatMap((mail) => mail.to).sort();
const addresses = (people: Person[]) => people.map((person) => person.email.toLowerCase()).sort();

async function jobFinished(jobId: string) {
  await waitFor(async () => ["completed", "failed"].includes(await mailQueue.getJobState(jobId)), {
    what: `job ${jobId} to finish`,
    timeoutMs: 20_000,
  });
  expect(await mailQueue.getJobState(jobId)).toBe("completed");
}

const REMINDER = /^Starting in (1 minute|\d+ minutes): /;
const CANCELLED = /^Cancelled: /;

describe("reminders and cancellation notices from the worker", () => {
  test("each enrolled, verified student with reminders on gets one reminder; unverified, opted-out, outsiders and the instructor none", async () => {
    await startInProcess();
    const { teacher, students, courseId } = await classroom("remind");
    const session = await schedule(teacher, courseId, "Reminder class", reminderIn(1_500));
    await jobFinished(reminderJobId(session.id, 0));

    const mails = mailsAbout("Reminder class", REMINDER);
    expect(recipients(mails)).toEqual(addresses(students));
    // Each mail links to the session's page, in text and HTML.
    for (const mail of mails) {
      expect(linkIn(mail, `${APP_URL}/sessions/`).toString()).toBe(`${APP_URL}/sessions/${session.id}`);
      expect(mail.html).toContain(`href="${APP_URL}/sessions/${session.id}"`);
    }
    const ledger = await services.db.sessionNotice.findMany({ where: { sessionId: session.id } });
    expect(ledger).toHaveLength(students.length);
    expect(ledger.every((row) => row.kind === "REMINDER" && row.sentAt !== null)).toBe(true);
  });

  test("moving the session moves its reminder job; the reminder goes out once, for the new time", async () => {
    await startInProcess();
    const { teacher, students, courseId } = await classroom("move", 2);
    const session = await schedule(teacher, courseId, "Moving class", reminderIn(60_000));
    expect(await mailQueue.getJobState(reminderJobId(session.id, 0))).toBe("delayed");

    const later = new Date(Date.now() + 3_600_000);
    await as(teacher).session.update({ sessionId: session.id, startsAt: later });
    expect(await mailQueue.getJob(reminderJobId(session.id, 0))).toBeUndefined();
    const moved = await mailQueue.getJob(reminderJobId(session.id, 1));
    expect(await moved!.getState()).toBe("delayed");
    // Due the lead time before the new start (a second of slack for the time the add took).
    expect(Math.abs(moved!.timestamp + moved!.delay - (later.getTime() - LEAD_MS))).toBeLessThan(1_000);

    await as(teacher).session.update({ sessionId: session.id, startsAt: reminderIn(1_500) });
    expect(await mailQueue.getJob(reminderJobId(session.id, 1))).toBeUndefined();
    await jobFinished(reminderJobId(session.id, 2));
    expect(recipients(mailsAbout("Moving class", REMINDER))).toEqual(addresses(students));
    // A job of an earlier time that escaped removal sends nothing: its sequence is stale.
    expect(await createSessionMailHandler(services)({ kind: "REMINDER", sessionId: session.id, sequence: 0 })).toEqual({
      sent: 0,
      skipped: 1,
    });
  });

  test("cancelling sends the notice to enrolled, verified students (reminders off too) and removes the reminder", async () => {
    await startInProcess();
    const { teacher, students, optedOut, courseId } = await classroom("cancel", 2);
    const session = await schedule(teacher, courseId, "Cancelled class", reminderIn(30_000));
    await as(teacher).session.cancel({ sessionId: session.id });
    expect(await mailQueue.getJob(reminderJobId(session.id, 0))).toBeUndefined();
    await jobFinished(cancellationJobId(session.id));

    const notices = mailsAbout("Cancelled class", CANCELLED);
    expect(recipients(notices)).toEqual(addresses([...students, optedOut]));
    expect(notices[0]!.text).toMatch(/planned for .+ UTC/);
    // The reminder, were its job run anyway, finds the session cancelled.
    expect(await createSessionMailHandler(services)({ kind: "REMINDER", sessionId: session.id, sequence: 0 })).toEqual({
      sent: 0,
      skipped: 1,
    });
    expect(mailsAbout("Cancelled class", REMINDER)).toEqual([]);
  });

  test("the same reminder job run 3 times at once sends each of 30 students exactly one mail (the ledger decides)", async () => {
    const { teacher, students, courseId } = await classroom("ledger", 30);
    const session = await schedule(teacher, courseId, "Crowded class", new Date(Date.now() + 3_600_000));
    const handler = createSessionMailHandler(services);
    const job: SessionMailJob = { kind: "REMINDER", sessionId: session.id, sequence: 0 };
    const runs = await Promise.all([handler(job), handler(job), handler(job)]);
    expect(runs.reduce((sum, run) => sum + (run.sent ?? 0), 0)).toBe(30);
    await waitFor(() => mailsAbout("Crowded class", REMINDER).length >= 30, { what: "30 reminders" });
    expect(recipients(mailsAbout("Crowded class", REMINDER))).toEqual(addresses(students));
    expect(await handler(job)).toEqual({ sent: 0, failed: 0, skipped: 0 });
  });

  test("a reminder whose session moves while its students are claimed claims and sends nothing", async () => {
    const { teacher, courseId } = await classroom("midmove", 2);
    const session = await schedule(teacher, courseId, "Mid-move class", new Date(Date.now() + 3_600_000));
    const handler = createSessionMailHandler(services);
    const waitingForLock = async () =>
      (
        await services.db.$queryRaw<{ waiting: bigint }[]>`
          SELECT count(*) AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`
      )[0]!.waiting > 0n;
    let run: ReturnType<typeof handler> | undefined;
    // The move holds the session's row while the job (which read it before) claims its students.
    await services.db.$transaction(
      async (tx) => {
        await tx.liveSession.update({
          where: { id: session.id },
          data: { startsAt: new Date(Date.now() + 7_200_000), sequence: { increment: 1 } },
        });
        run = handler({ kind: "REMINDER", sessionId: session.id, sequence: 0 });
        await waitFor(waitingForLock, { what: "the claim waiting for the session's row" });
      },
      { timeout: 30_000 },
    );
    expect(await run).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(await services.db.sessionNotice.count({ where: { sessionId: session.id } })).toBe(0);
    expect(mailsAbout("Mid-move class", REMINDER)).toEqual([]);
  });
});

describe("big classes at the same minute", () => {
  test("reminder jobs of different sessions run at once (SESSION_MAIL_CONCURRENCY)", async () => {
    const send = createSessionMailHandler(services);
    const together = new Set<string>();
    const inside = new Set<string>();
    let overlapped = false;
    worker = await startWorker({
      config,
      logger: createLogger(config, "worker-test"),
      handlers: createJobHandlers(services),
      // Each of this test's two jobs waits (up to 10 s) for the other to be running beside it; one job
      // at a time never sees that. Jobs other tests left in the queue go straight through.
      sessionMail: async (job) => {
        if (!together.has(job.sessionId)) return send(job);
        inside.add(job.sessionId);
        if (inside.size === together.size) overlapped = true;
        try {
          await waitFor(() => overlapped, { what: "the other job beside this one", timeoutMs: 10_000 }).catch(
            () => undefined,
          );
          return await send(job);
        } finally {
          inside.delete(job.sessionId);
        }
      },
    });
    const { teacher, students, courseId } = await classroom("together", 2);
    const [one, two] = await Promise.all(
      ["Together one", "Together two"].map((title) => schedule(teacher, courseId, title, reminderIn(1_500))),
    );
    together.add(one!.id).add(two!.id);
    await Promise.all([jobFinished(reminderJobId(one!.id, 0)), jobFinished(reminderJobId(two!.id, 0))]);
    expect(overlapped).toBe(true);
    expect(recipients(mailsAbout("Together one", REMINDER))).toEqual(addresses(students));
    expect(recipients(mailsAbout("Together two", REMINDER))).toEqual(addresses(students));
  });

  test("a reminder whose turn comes after the session started is dropped, and not sent later either", async () => {
    const { teacher, students, courseId } = await classroom("late", 3);
    const session = await schedule(teacher, courseId, "Late class", new Date(Date.now() + 3_600_000));
    // The session starts while the first reminder goes out: the clock passes its start on that delivery.
    const clock = fakeClock();
    const mailer: Services["mailer"] = {
      mode: services.mailer.mode,
      deliver: async (message) => {
        const delivery = await services.mailer.deliver(message);
        clock.advance(2 * 3_600_000);
        return delivery;
      },
      close: () => Promise.resolve(),
    };
    const job: SessionMailJob = { kind: "REMINDER", sessionId: session.id, sequence: 0 };
    expect(await createSessionMailHandler({ ...services, clock: clock.now, mailer })(job)).toEqual({
      sent: 1,
      failed: 0,
      skipped: 2,
    });
    expect(mailsAbout("Late class", REMINDER)).toHaveLength(1);
    // The job again (a retry), before the start by the real clock: the dropped ones stay unsent.
    expect(await createSessionMailHandler(services)(job)).toEqual({ sent: 0, failed: 0, skipped: 0 });
    const ledger = await services.db.sessionNotice.findMany({ where: { sessionId: session.id } });
    expect(ledger).toHaveLength(students.length);
    expect(ledger.filter((row) => row.sentAt !== null)).toHaveLength(1);
    expect(mailsAbout("Late class", REMINDER)).toHaveLength(1);
  });
});

describe("two worker processes, one restarted between jobs", () => {
  test("every reminder of two sessions is sent at most once (exactly once here), even when a job runs again", async () => {
    const workerEnv = { ...env, SESSION_MAIL_SYNC_EVERY_SECONDS: "0.5" };
    const started = (process: WorkerProcess) =>
      process.waitForLog((line) => line.msg === "worker started", "worker started");
    const [first, second] = [spawnWorker(workerEnv, spawned), spawnWorker(workerEnv, spawned)];
    await Promise.all([started(first), started(second)]);
    const { teacher, students, courseId } = await classroom("restart", 10);

    const one = await schedule(teacher, courseId, "First class", reminderIn(1_000));
    await jobFinished(reminderJobId(one.id, 0));

    // A crash of one worker, and it comes back.
    first.child.kill("SIGKILL");
    await first.exited;
    await started(spawnWorker(workerEnv, spawned));

    const two = await schedule(teacher, courseId, "Second class", reminderIn(1_000));
    await jobFinished(reminderJobId(two.id, 0));

    // The first session's job runs once more (as after a stall or a lost completion): nothing is sent.
    const again = await mailQueue.getJob(reminderJobId(one.id, 0));
    await again!.remove();
    await mailQueue.add(
      "REMINDER",
      { kind: "REMINDER", sessionId: one.id, sequence: 0 },
      { jobId: reminderJobId(one.id, 0) },
    );
    await jobFinished(reminderJobId(one.id, 0));
    expect((await mailQueue.getJob(reminderJobId(one.id, 0)))!.returnvalue).toEqual({ sent: 0, failed: 0, skipped: 0 });

    expect(recipients(mailsAbout("First class", REMINDER))).toEqual(addresses(students));
    expect(recipients(mailsAbout("Second class", REMINDER))).toEqual(addresses(students));
    expect(await services.db.sessionNotice.count({ where: { sessionId: { in: [one.id, two.id] } } })).toBe(20);
  });
});
