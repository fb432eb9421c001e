import {
  JobName,
  closeServices,
  createCaller,
  endOverrunSessions,
  participantsChannel,
  type ParticipantEvent,
  type Services,
} from "@livehall/api";
import { asSessionUser, createSessionFixture, createTestServices, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { createJobHandlers } from "./handlers";
import { recordRuns, startTestWorker, stopAll, workerConfig, workerServices } from "./test-support";
import type { RunningWorker } from "./worker";

// A grace of 2 seconds (the production default is 30 minutes); the job runs every 200 ms.
const GRACE_MS = 2_000;
const OVERRUN_ENV = {
  SESSION_OVERRUN_GRACE_MINUTES: String(GRACE_MS / 60_000),
  SESSIONS_END_OVERRUN_EVERY_SECONDS: "0.2",
  TOKENS_EXPIRE_EVERY_SECONDS: "3600",
  PARTICIPANTS_DEDUPE_EVERY_SECONDS: "3600",
  HEARTBEATS_EVICT_EVERY_SECONDS: "3600",
};

const api = createTestServices(OVERRUN_ENV);
afterAll(api.close);
const started: RunningWorker[] = [];
afterEach(() => stopAll(started));
const extraServices: Services[] = [];
afterEach(async () => {
  await Promise.all(extraServices.splice(0).map((services) => closeServices(services)));
});

type User = { id: string; role: "STUDENT" | "INSTRUCTOR" | "ADMIN" };
const join = (user: User, sessionId: string, connection: string) =>
  createCaller(api.context(asSessionUser(user))).session.join({ sessionId, connectionId: `${connection}-tab-0001` });
const status = async (sessionId: string) =>
  api.services.db.liveSession.findUniqueOrThrow({
    where: { id: sessionId },
    select: { status: true, endedReason: true, endedAt: true },
  });
/** How many participant events a session has had: every event takes the next sequence number. */
const eventCount = async (sessionId: string) =>
  Number((await api.services.redis.get(api.services.keys.participantEventSeq(sessionId))) ?? 0);

/** A live session whose planned end (started `plannedMinutes` ago) is now: it overruns once the grace passes. */
async function liveSessionEndingNow(plannedMinutes = 5) {
  const fixture = await createSessionFixture(api.services);
  const startedAt = new Date(Date.now() - plannedMinutes * 60_000);
  await api.services.db.liveSession.update({
    where: { id: fixture.session.id },
    data: { startedAt, startsAt: startedAt, plannedDurationMinutes: plannedMinutes },
  });
  return fixture;
}

describe("sessions.endOverrun on its schedule", () => {
  test("ends a live session left without its instructor after the planned end plus grace; never one whose instructor is in it", async () => {
    const config = workerConfig(OVERRUN_ENV);
    const services = await workerServices(config);
    extraServices.push(services);
    const { handlers, runs } = recordRuns(createJobHandlers(services));

    const abandoned = await liveSessionEndingNow();
    const hosted = await liveSessionEndingNow();
    const notYetOver = await createSessionFixture(api.services);
    const [student, otherStudent] = (await insertUsers(api.services, 2)) as User[];
    await join(student!, abandoned.session.id, "abandoned-student");
    await join(otherStudent!, hosted.session.id, "hosted-student");
    await join(hosted.instructor, hosted.session.id, "hosted-teacher");

    const subscription = await api.services.events.subscribe<ParticipantEvent>(
      participantsChannel(abandoned.session.id),
      undefined,
    );
    try {
      await startTestWorker(config, handlers, started);
      const ended = await waitFor(
        async () => {
          const row = await status(abandoned.session.id);
          return row.status === "ENDED" ? row : null;
        },
        { what: "the abandoned session to end", timeoutMs: 20_000 },
      );
      expect(ended.endedReason).toBe("OVERRUN");
      // Not before its planned end plus the grace.
      const startedAt = (await api.services.db.liveSession.findUniqueOrThrow({ where: { id: abandoned.session.id } }))
        .startedAt!;
      expect(ended.endedAt!.getTime()).toBeGreaterThanOrEqual(startedAt.getTime() + 5 * 60_000 + GRACE_MS);

      // The room is told: a status event, as when the host ends it.
      for await (const event of subscription) {
        if (event.type !== "status") continue;
        expect(event).toMatchObject({ status: "ENDED", participantCount: 0 });
        break;
      }
      // The student's visit is closed like any end; presence is cleared.
      expect(
        await api.services.db.sessionParticipant.findMany({
          where: { sessionId: abandoned.session.id },
          select: { leftAt: true, leaveReason: true },
        }),
      ).toMatchObject([{ leaveReason: "ENDED" }]);
      expect(await api.services.redis.exists(api.services.keys.presence(abandoned.session.id))).toBe(0);

      // Two more runs after that one, well past the hosted session's grace too: it stays live.
      const endedRun = runs.findIndex((run) => run.name === JobName.sessionsEndOverrun && run.counts.ended === 1);
      await waitFor(
        () => runs.filter((run, i) => i > endedRun && run.name === JobName.sessionsEndOverrun).length >= 2,
        {
          what: "two more overrun runs",
        },
      );
      expect((await status(hosted.session.id)).status).toBe("LIVE");
      expect((await status(notYetOver.session.id)).status).toBe("LIVE");
      expect(
        runs.filter((run) => run.name === JobName.sessionsEndOverrun).reduce((sum, run) => sum + run.counts.ended!, 0),
      ).toBe(1);
    } finally {
      subscription.close();
    }
  });
});

describe("sessions.endOverrun with two workers at once", () => {
  test("10 concurrent runs over two workers' services end each overdue session exactly once, with one event", async () => {
    const workers = await Promise.all([
      workerServices(workerConfig(OVERRUN_ENV)),
      workerServices(workerConfig(OVERRUN_ENV)),
    ]);
    extraServices.push(...workers);
    // Planned to end an hour ago: overdue at once.
    const sessions = await Promise.all(
      Array.from({ length: 20 }, () => liveSessionEndingNow(60).then((f) => f.session.id)),
    );
    // Move their planned end a further hour back, so nothing here waits for the grace.
    await api.services.db.liveSession.updateMany({
      where: { id: { in: sessions } },
      data: { startedAt: new Date(Date.now() - 2 * 3_600_000) },
    });

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => endOverrunSessions(workers[i % 2]!)));
    expect(results.reduce((sum, result) => sum + result.ended, 0)).toBe(20);
    for (const sessionId of sessions) {
      expect(await status(sessionId)).toMatchObject({ status: "ENDED", endedReason: "OVERRUN" });
      expect(await eventCount(sessionId)).toBe(1);
    }
    // Running again finds nothing to do.
    expect((await endOverrunSessions(workers[0]!)).ended).toBe(0);
  });

  test("an instructor joining while the job runs: the session stays live exactly when the join succeeded", async () => {
    const workers = await Promise.all([
      workerServices(workerConfig(OVERRUN_ENV)),
      workerServices(workerConfig(OVERRUN_ENV)),
    ]);
    extraServices.push(...workers);
    const fixtures = await Promise.all(Array.from({ length: 20 }, () => liveSessionEndingNow(60)));
    await api.services.db.liveSession.updateMany({
      where: { id: { in: fixtures.map((fixture) => fixture.session.id) } },
      data: { startedAt: new Date(Date.now() - 2 * 3_600_000) },
    });

    const [joins] = await Promise.all([
      Promise.all(
        fixtures.map((fixture, i) =>
          join(fixture.instructor, fixture.session.id, `race-${i}`).then(
            () => "joined",
            (error: { cause?: { reason?: string } }) => error.cause?.reason,
          ),
        ),
      ),
      ...Array.from({ length: 6 }, (_, i) => endOverrunSessions(workers[i % 2]!)),
    ]);
    for (const [i, fixture] of fixtures.entries()) {
      const row = await status(fixture.session.id);
      if (joins[i] === "joined") {
        // Joined before the job looked (it saw the host and left the session alone)…
        expect(row.status).toBe("LIVE");
      } else {
        // …or the job ended it first and the join was refused.
        expect(joins[i]).toBe("SESSION_NOT_LIVE");
        expect(row).toMatchObject({ status: "ENDED", endedReason: "OVERRUN" });
      }
    }
  });
});
