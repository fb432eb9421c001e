import { afterAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";
import type { ParticipantEvent } from "./participant-events";

const { services, context, close } = createTestServices();
afterAll(close);

describe("session.end", () => {
  test("closes every participant, clears presence, and tells subscribers; a late join is refused", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const students = await insertUsers(services, 5);
    await Promise.all(
      students.map((student, i) =>
        createCaller(context(asSessionUser(student))).session.join({
          sessionId: session.id,
          connectionId: `tab-${i}-abcdefgh`,
        }),
      ),
    );

    const abort = new AbortController();
    const stream = (await createCaller(context(asSessionUser(students[0]!)), {
      signal: abort.signal,
    }).session.onParticipants({ sessionId: session.id })) as AsyncIterable<ParticipantEvent>;
    const events: ParticipantEvent[] = [];
    const reading = (async () => {
      for await (const event of stream) {
        events.push(event);
        if (event.type === "status") break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const ended = await createCaller(context(instructor)).session.end({ sessionId: session.id });
    expect(ended.status).toBe("ENDED");
    await reading;
    abort.abort();
    expect(events.at(-1)).toMatchObject({ type: "status", status: "ENDED", participantCount: 0 });
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id, leftAt: null } })).toBe(0);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id, leaveReason: "ENDED" } })).toBe(
      5,
    );
    expect(await services.redis.exists(services.keys.presence(session.id))).toBe(0);

    await expect(
      createCaller(context(asSessionUser(students[0]!))).session.join({
        sessionId: session.id,
        connectionId: "late-tab-abcdefgh",
      }),
    ).rejects.toMatchObject({
      cause: { reason: "SESSION_NOT_LIVE" },
    });
    // Ending twice answers the ended session.
    expect((await createCaller(context(instructor)).session.end({ sessionId: session.id })).status).toBe("ENDED");
  });

  test("joins racing an end never leave an active row behind", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const students = await insertUsers(services, 100);
    const joins = students.map((student, i) =>
      createCaller(context(asSessionUser(student)))
        .session.join({ sessionId: session.id, connectionId: `race-${i}-abcdefgh` })
        .then(
          () => "joined",
          (error: { cause?: { reason?: string } }) => error.cause?.reason,
        ),
    );
    const end = createCaller(context(instructor)).session.end({ sessionId: session.id });
    const outcomes = await Promise.all(joins);
    await end;
    expect(new Set(outcomes)).toEqual(
      new Set(outcomes.filter((outcome) => outcome === "joined" || outcome === "SESSION_NOT_LIVE")),
    );
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id, leftAt: null } })).toBe(0);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(
      outcomes.filter((outcome) => outcome === "joined").length,
    );
  });

  test("authorization: a student cannot end, another instructor cannot, an admin can", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const [otherInstructor] = await insertUsers(services, 1, { role: "INSTRUCTOR" });
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    await expect(
      createCaller(context(asSessionUser(student!))).session.end({ sessionId: session.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      createCaller(context(asSessionUser(otherInstructor!))).session.end({ sessionId: session.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      createCaller(context(asSessionUser(student!))).session.cleanupParticipants({ sessionId: session.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      createCaller(context(asSessionUser(otherInstructor!))).session.cancel({ sessionId: session.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await createCaller(context(asSessionUser(admin!))).session.end({ sessionId: session.id })).status).toBe(
      "ENDED",
    );
  });
});

describe("session.cancel", () => {
  test("cancels a scheduled session; an ended one cannot be cancelled", async () => {
    const scheduled = await createSessionFixture(services, "SCHEDULED");
    expect(
      (await createCaller(context(scheduled.instructor)).session.cancel({ sessionId: scheduled.session.id })).status,
    ).toBe("CANCELLED");
    const ended = await createSessionFixture(services, "ENDED");
    await expect(
      createCaller(context(ended.instructor)).session.cancel({ sessionId: ended.session.id }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      cause: { reason: "SESSION_NOT_CANCELLABLE" },
    });
  });
});
