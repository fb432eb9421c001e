import { afterAll, describe, expect, test } from "vitest";
import type { SessionUser } from "../context";
import { createCaller } from "../root";
import type { ParticipantEvent } from "../services/participant-events";
import { asSessionUser, createSessionFixture, enrollUsers } from "../testing/fixtures";
import { createTestServices, dropEventBusConnection, insertUsers } from "../testing/services";
import { waitFor } from "@livehall/testing";
import { hashPassword } from "./passwords";
import { verifyAccessToken } from "./tokens";

// Two web instances: the stream is served by one, the sign-out happens on the other.
const instanceA = createTestServices();
const instanceB = createTestServices();
afterAll(async () => {
  await instanceA.close();
  await instanceB.close();
});

const PASSWORD = "stream password 1";
const passwordHash = await hashPassword(PASSWORD);

/** Signs in for real (a token family) and returns the session user the access token carries. */
async function signIn(email: string): Promise<{ user: SessionUser; refreshToken: string }> {
  const answer = await createCaller(instanceB.context(null)).auth.login({
    email,
    password: PASSWORD,
    delivery: "body",
  });
  const verified = await verifyAccessToken(instanceB.services.tokenKeys, answer.tokens!.accessToken, new Date());
  if (!verified.ok) throw new Error("the access token did not verify");
  return { user: verified.user, refreshToken: answer.tokens!.refreshToken };
}

/** Opens the room stream on instance A and records how it ends. */
async function openStream(user: SessionUser, sessionId: string) {
  const abort = new AbortController();
  const stream = await createCaller(instanceA.context(user), { signal: abort.signal }).session.onParticipants({
    sessionId,
  });
  const outcome: { events: ParticipantEvent[]; ended: "error" | "done" | null; reason: string | null } = {
    events: [],
    ended: null,
    reason: null,
  };
  const reading = (async () => {
    try {
      for await (const event of stream as AsyncIterable<ParticipantEvent>) outcome.events.push(event);
      outcome.ended = "done";
    } catch (error) {
      outcome.ended = "error";
      outcome.reason = (error as { cause?: { reason?: string } }).cause?.reason ?? null;
    }
  })();
  await waitFor(() => outcome.events.length > 0, { timeoutMs: 10_000, what: "the snapshot" });
  return { outcome, reading, close: () => abort.abort() };
}

describe("sign-out notices end the signed-out sign-in's streams on every instance", () => {
  test("sign-out ends that device's stream with SESSION_REVOKED; the other device's stream stays open", async () => {
    const { session } = await createSessionFixture(instanceA.services);
    const [user] = await insertUsers(instanceA.services, 1, { passwordHash });
    await enrollUsers(instanceA.services, session.courseId, [user!]);
    const laptop = await signIn(user!.email);
    const phone = await signIn(user!.email);
    const onLaptop = await openStream(laptop.user, session.id);
    const onPhone = await openStream(phone.user, session.id);

    await createCaller(instanceB.context(null)).auth.logout({ refreshToken: laptop.refreshToken });

    await onLaptop.reading;
    expect(onLaptop.outcome).toMatchObject({ ended: "error", reason: "SESSION_REVOKED" });
    // The phone's sign-in is untouched: its stream still delivers events.
    const [other] = await insertUsers(instanceA.services, 1);
    await createCaller(instanceB.context(asSessionUser(other!))).session.join({
      sessionId: session.id,
      connectionId: "other-tab-1",
    });
    await waitFor(() => onPhone.outcome.events.some((event) => event.type === "joined"), {
      timeoutMs: 10_000,
      what: "the phone's stream to see the join",
    });
    expect(onPhone.outcome.ended).toBeNull();
    expect(instanceA.services.events.stats().streams).toBe(1);
    onPhone.close();
    await onPhone.reading;
  });

  test("disabling the account ends every stream of the user with ACCOUNT_DISABLED and releases them", async () => {
    const { session } = await createSessionFixture(instanceA.services);
    const [admin] = await insertUsers(instanceA.services, 1, { role: "ADMIN" });
    const [user] = await insertUsers(instanceA.services, 1, { passwordHash });
    await enrollUsers(instanceA.services, session.courseId, [user!]);
    const tabs = await Promise.all([signIn(user!.email), signIn(user!.email)]);
    const streams = await Promise.all(tabs.map((tab) => openStream(tab.user, session.id)));

    await createCaller(instanceB.context(asSessionUser(admin!))).admin.setDisabled({
      userId: user!.id,
      disabled: true,
    });

    await Promise.all(streams.map((stream) => stream.reading));
    for (const stream of streams) expect(stream.outcome).toMatchObject({ ended: "error", reason: "ACCOUNT_DISABLED" });
    await waitFor(() => instanceA.services.events.stats().streams === 0, { timeoutMs: 5_000, what: "slots released" });
  });
  test("after the event bus loses its connection, open streams end (to be reopened) and notices still end new ones", async () => {
    const { session } = await createSessionFixture(instanceA.services);
    const [user] = await insertUsers(instanceA.services, 1, { passwordHash });
    await enrollUsers(instanceA.services, session.courseId, [user!]);
    const before = await openStream((await signIn(user!.email)).user, session.id);

    expect(await dropEventBusConnection(instanceA.services)).toBeGreaterThan(0);
    // A notice sent now could be lost: the stream ends (not signed out), and its tab reopens it.
    await before.reading;
    expect(before.outcome).toMatchObject({ ended: "done", reason: null });

    const device = await signIn(user!.email);
    const after = await openStream(device.user, session.id);
    await createCaller(instanceB.context(null)).auth.logout({ refreshToken: device.refreshToken });
    await after.reading;
    expect(after.outcome).toMatchObject({ ended: "error", reason: "SESSION_REVOKED" });
  });
});
