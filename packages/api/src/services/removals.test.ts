import { afterAll, describe, expect, test } from "vitest";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";

const { services, context, close } = createTestServices();
afterAll(close);

const tab = (n: number) => `tab-${n}-${"x".repeat(8)}`;
const activeRows = (sessionId: string, userId: string) =>
  services.db.sessionParticipant.count({ where: { sessionId, userId, leftAt: null } });
const connectionsOf = async (sessionId: string, userId: string) =>
  (await services.redis.zrange(services.keys.presence(sessionId), 0, -1)).filter((member) =>
    member.startsWith(`${userId}:`),
  ).length;

/** The reason carried by a refused call (tRPC's error, through the error formatter's cause). */
async function reasonOfCall(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, "the call should have been refused").not.toBeNull();
  return (error as { cause?: { reason?: string } }).cause?.reason ?? "none";
}

describe("leaving everywhere (the Leave button)", () => {
  test("with 3 tabs: all gone, the row closed LEFT, the other tabs answer left, and a plain re-join works", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    for (const n of [1, 2, 3]) await caller.session.join({ sessionId: session.id, connectionId: tab(n) });
    expect(await connectionsOf(session.id, student!.id)).toBe(3);

    expect(await caller.session.leave({ sessionId: session.id, connectionId: tab(1), everywhere: true })).toMatchObject(
      { left: true, remainingConnections: 0 },
    );
    expect(await connectionsOf(session.id, student!.id)).toBe(0);
    expect(await activeRows(session.id, student!.id)).toBe(0);
    const row = await services.db.sessionParticipant.findFirstOrThrow({ where: { sessionId: session.id } });
    expect(row.leaveReason).toBe("LEFT");
    for (const n of [2, 3]) {
      expect(await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(n) })).toMatchObject({
        status: "left",
      });
    }

    // Pressing Rejoin in one tab: it is in again; the other tab still stays out.
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(2) })).status).toBe("ok");
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(3) })).status).toBe("left");
    expect(await activeRows(session.id, student!.id)).toBe(1);
    expect(await services.db.sessionParticipant.count({ where: { sessionId: session.id } })).toBe(2);
  });

  test("a plain leave (a page being hidden) still leaves only its own tab", async () => {
    const { session } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });
    await caller.session.leave({ sessionId: session.id, connectionId: tab(1) });
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(2) })).status).toBe("ok");
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(1) })).status).toBe("rejoin");
    expect(await activeRows(session.id, student!.id)).toBe(1);
  });
});

describe("removing someone from a session", () => {
  test("their tabs answer removed, the row closes REMOVED, and joins are refused until they are let back in", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [student] = await insertUsers(services, 1);
    const caller = createCaller(context(asSessionUser(student!)));
    const host = createCaller(context(instructor));
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    await caller.session.join({ sessionId: session.id, connectionId: tab(2) });

    expect(await host.session.removeParticipant({ sessionId: session.id, userId: student!.id })).toMatchObject({
      removed: true,
      participantCount: 0,
    });
    for (const n of [1, 2]) {
      expect(await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(n) })).toMatchObject({
        status: "removed",
        reason: "REMOVED_BY_HOST",
      });
    }
    const row = await services.db.sessionParticipant.findFirstOrThrow({ where: { sessionId: session.id } });
    expect(row.leaveReason).toBe("REMOVED");
    expect(await host.session.removals({ sessionId: session.id })).toEqual([
      expect.objectContaining({ userId: student!.id, name: expect.any(String) }),
    ]);

    // 20 joins at once after the removal, over several tabs: every one refused, nothing left behind.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => caller.session.join({ sessionId: session.id, connectionId: tab(i % 4) })),
    );
    expect(results.every((result) => result.status === "rejected")).toBe(true);
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason.cause?.reason).toBe("REMOVED_BY_HOST");
    }
    expect(await activeRows(session.id, student!.id)).toBe(0);
    expect(await connectionsOf(session.id, student!.id)).toBe(0);

    expect(await host.session.readmitParticipant({ sessionId: session.id, userId: student!.id })).toEqual({
      readmitted: true,
    });
    expect(await host.session.removals({ sessionId: session.id })).toEqual([]);
    await caller.session.join({ sessionId: session.id, connectionId: tab(1) });
    expect((await caller.session.heartbeat({ sessionId: session.id, connectionId: tab(1) })).status).toBe("ok");
    expect(await activeRows(session.id, student!.id)).toBe(1);
  });

  test("20 joins racing the removal: afterwards no active row and no connection, and every later join is refused", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const [student, other] = await insertUsers(services, 2);
    const caller = createCaller(context(asSessionUser(student!)));
    // Someone else in the same join batches keeps their place.
    const bystander = createCaller(context(asSessionUser(other!)));
    await caller.session.join({ sessionId: session.id, connectionId: tab(0) });
    await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => caller.session.join({ sessionId: session.id, connectionId: tab(i % 5) })),
      bystander.session.join({ sessionId: session.id, connectionId: tab(9) }),
      createCaller(context(instructor)).session.removeParticipant({ sessionId: session.id, userId: student!.id }),
    ]);
    expect(await activeRows(session.id, student!.id)).toBe(0);
    expect(await connectionsOf(session.id, student!.id)).toBe(0);
    expect(await activeRows(session.id, other!.id)).toBe(1);
    const later = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => caller.session.join({ sessionId: session.id, connectionId: tab(i % 5) })),
    );
    expect(later.filter((result) => result.status === "fulfilled")).toEqual([]);
    expect(await activeRows(session.id, student!.id)).toBe(0);
  });

  test("only the course's instructor or an admin may remove or let back in, and nobody can remove the instructor", async () => {
    const { session, instructor } = await createSessionFixture(services);
    const { instructor: otherInstructor } = await createSessionFixture(services);
    const [student, classmate] = await insertUsers(services, 2);
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const input = { sessionId: session.id, userId: classmate!.id };
    await createCaller(context(asSessionUser(classmate!))).session.join({
      sessionId: session.id,
      connectionId: tab(1),
    });

    const asStudent = createCaller(context(asSessionUser(student!)));
    expect(await reasonOfCall(asStudent.session.removeParticipant(input))).toBe("FORBIDDEN");
    expect(await reasonOfCall(asStudent.session.readmitParticipant(input))).toBe("FORBIDDEN");
    const asOther = createCaller(context(otherInstructor));
    expect(await reasonOfCall(asOther.session.removeParticipant(input))).toBe("FORBIDDEN");
    expect(await reasonOfCall(asOther.session.readmitParticipant(input))).toBe("FORBIDDEN");
    expect(await reasonOfCall(asOther.session.removals({ sessionId: session.id }))).toBe("FORBIDDEN");
    expect(await activeRows(session.id, classmate!.id)).toBe(1);

    const asAdmin = createCaller(context(asSessionUser(admin!)));
    const host = createCaller(context(instructor));
    const removeInstructor = { sessionId: session.id, userId: instructor.id };
    expect(await reasonOfCall(asAdmin.session.removeParticipant(removeInstructor))).toBe("CANNOT_REMOVE_INSTRUCTOR");
    expect(await reasonOfCall(host.session.removeParticipant(removeInstructor))).toBe("CANNOT_REMOVE_INSTRUCTOR");
    expect(
      await reasonOfCall(host.session.removeParticipant({ sessionId: session.id, userId: crypto.randomUUID() })),
    ).toBe("USER_NOT_FOUND");

    await asAdmin.session.removeParticipant(input);
    expect(await activeRows(session.id, classmate!.id)).toBe(0);
    expect(await host.session.readmitParticipant(input)).toEqual({ readmitted: true });
    expect(await host.session.readmitParticipant(input)).toEqual({ readmitted: false });
  });

  test("a session that is over cannot have anyone removed", async () => {
    const { session, instructor } = await createSessionFixture(services, "ENDED");
    const [student] = await insertUsers(services, 1);
    expect(
      await reasonOfCall(
        createCaller(context(instructor)).session.removeParticipant({ sessionId: session.id, userId: student!.id }),
      ),
    ).toBe("SESSION_NOT_LIVE");
  });
});
