import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createContext } from "../context";
import { authCounters } from "../metrics";
import { createCaller } from "../root";
import { callOverHttp } from "../testing/http";
import { createTestServices, fakeClock, insertUsers } from "../testing/services";
import { hashPassword } from "./passwords";

// Small budgets keep the argon2 work of this file low; the progressive delay is off here (tested below).
const LIMITS = {
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: "10",
  LOGIN_FAILURES_PER_IP: "50",
  LOGIN_FAILURES_PER_ACCOUNT: "30",
  LOGIN_DELAY_AFTER_FAILURES: "1000",
  SIGNUP_RATE_POINTS: "3",
};
const { services, close } = createTestServices(LIMITS);
const clock = fakeClock(new Date("2026-12-01T09:00:00Z"));
const delayed = createTestServices({ ...LIMITS, LOGIN_DELAY_AFTER_FAILURES: "5" }, { clock: clock.now });
afterAll(() => Promise.all([close(), delayed.close()]));

const PASSWORD = "the real password";
let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

const account = async (prefix: string) =>
  (await insertUsers(services, 1, { passwordHash, emailPrefix: prefix }))[0]!.email;

const caller = (ip: string, on = services) =>
  createCaller(
    createContext(on, {
      req: { requestId: "t", ip, userAgent: "vitest", origin: null, authTransport: "none", refreshCookie: null },
    }),
  );

type Outcome = { reason: string; retryAfterMs?: number; attempts?: { left: number; pauseMs: number } };
const outcome = (promise: Promise<unknown>): Promise<Outcome> =>
  promise.then(
    () => ({ reason: "OK" }),
    (error: { cause?: Outcome }) => ({
      reason: error.cause?.reason ?? String(error),
      retryAfterMs: error.cause?.retryAfterMs,
      attempts: error.cause?.attempts,
    }),
  );
/** A sign-in from `ip`: only the caller's `req.ip` label (in-process, no socket), loopback addresses here. */
const login = (ip: string, email: string, password: string, on = services) =>
  outcome(caller(ip, on).auth.login({ email, password, delivery: "body" }));

const argon2Runs = async (operation: "hash" | "verify") =>
  (await authCounters.passwordHashes.get()).values.find((value) => value.labels.operation === operation)?.value ?? 0;

const tally = (outcomes: Outcome[]) =>
  outcomes.reduce<Record<string, number>>(
    (counts, { reason }) => ({ ...counts, [reason]: (counts[reason] ?? 0) + 1 }),
    {},
  );

describe("sign-in budgets are taken before argon2", () => {
  test("300 wrong passwords at once for one account from one IP: exactly the budget is checked", async () => {
    const email = await account("parallel");
    const before = await argon2Runs("verify");
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => login("127.0.1.1", email, `wrong ${i}`)));
    expect(tally(outcomes)).toEqual({ INVALID_CREDENTIALS: 10, RATE_LIMITED: 290 });
    expect((await argon2Runs("verify")) - before).toBe(10);
    for (const limited of outcomes.filter((o) => o.reason === "RATE_LIMITED"))
      expect(limited.retryAfterMs).toBeGreaterThan(0);
  });

  test("an attack spread over many IPs stops at the per-account ceiling", async () => {
    const email = await account("spread");
    const before = await argon2Runs("verify");
    const outcomes = await Promise.all(
      Array.from({ length: 120 }, (_, i) => login(`127.0.2.${i}`, email, `wrong ${i}`)),
    );
    expect(tally(outcomes)).toEqual({ INVALID_CREDENTIALS: 30, RATE_LIMITED: 90 });
    expect((await argon2Runs("verify")) - before).toBe(30);
  });
});

describe("a lock is not a weapon", () => {
  test("an attacker's IP locked out of an account does not lock the real user on another IP", async () => {
    const email = await account("weapon");
    for (let i = 0; i < 10; i++)
      expect((await login("127.0.3.66", email, `guess ${i}`)).reason).toBe("INVALID_CREDENTIALS");
    // The attacker's address is paused, even with the right password...
    expect(await login("127.0.3.66", email, PASSWORD)).toMatchObject({ reason: "RATE_LIMITED" });
    // ...and the real user, from their own address, signs in.
    expect((await login("127.0.3.7", email, PASSWORD)).reason).toBe("OK");
  });

  test("each failure tells how many attempts are left before the pause, and for how long", async () => {
    const email = await account("countdown");
    const lefts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const failed = await login("127.0.3.90", email, `typo ${i}`);
      expect(failed).toMatchObject({ reason: "INVALID_CREDENTIALS", attempts: { pauseMs: 15 * 60_000 } });
      lefts.push(failed.attempts!.left);
    }
    expect(lefts).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // Over HTTP the answer carries it too.
    const answer = await callOverHttp({
      path: "auth.login",
      type: "mutation",
      input: { email, password: "again wrong" },
      context: () =>
        createContext(services, {
          req: {
            requestId: "t",
            ip: "127.0.3.91",
            userAgent: null,
            origin: null,
            authTransport: "none",
            refreshCookie: null,
          },
        }),
    });
    expect(answer.error?.data).toMatchObject({
      reason: "INVALID_CREDENTIALS",
      attempts: { left: 9, pauseMs: 900_000 },
    });
  });

  test("a success gives the attempt back and forgets this browser's failures", async () => {
    const email = await account("forgiven");
    for (let i = 0; i < 9; i++) await login("127.0.3.50", email, `typo ${i}`);
    expect((await login("127.0.3.50", email, PASSWORD)).reason).toBe("OK");
    expect((await login("127.0.3.50", email, "one more typo")).attempts?.left).toBe(9);
  });
});

describe("progressive delay per account", () => {
  test("after 5 failures each attempt waits longer: 1 s, then 2 s", async () => {
    const [user] = await insertUsers(delayed.services, 1, { passwordHash, emailPrefix: "delay" });
    const email = user!.email;
    const attempt = (i: number) => login(`198.51.100.${100 + i}`, email, `wrong ${i}`, delayed.services);
    for (let i = 0; i < 6; i++) expect((await attempt(i)).reason).toBe("INVALID_CREDENTIALS");
    expect(await attempt(6)).toMatchObject({ reason: "RATE_LIMITED", retryAfterMs: 1_000 });
    clock.advance(1_000);
    expect((await attempt(7)).reason).toBe("INVALID_CREDENTIALS");
    expect(await attempt(8)).toMatchObject({ reason: "RATE_LIMITED", retryAfterMs: 2_000 });
    clock.advance(2_000);
    expect((await attempt(9)).reason).toBe("INVALID_CREDENTIALS");
  });

  test("attempts racing for one slot: only one is checked", async () => {
    const [user] = await insertUsers(delayed.services, 1, { passwordHash, emailPrefix: "race" });
    const email = user!.email;
    for (let i = 0; i < 5; i++) await login(`198.51.100.${i}`, email, `wrong ${i}`, delayed.services);
    const before = await argon2Runs("verify");
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(`198.51.100.${50 + i}`, email, `wrong ${i}`, delayed.services)),
    );
    expect(tally(outcomes)).toEqual({ INVALID_CREDENTIALS: 1, RATE_LIMITED: 19 });
    expect((await argon2Runs("verify")) - before).toBe(1);
  });
});

describe("sign-up budget per IP", () => {
  const signup = (ip: string, email: string) =>
    outcome(caller(ip).auth.signup({ email, name: "New Student", password: "a long password", delivery: "body" }));

  test("parallel sign-ups from one IP: the budget is created and hashed, the rest are RATE_LIMITED", async () => {
    const before = await argon2Runs("hash");
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signup("127.0.4.200", `burst-${i}@example.test`)),
    );
    expect(tally(outcomes)).toEqual({ OK: 3, RATE_LIMITED: 9 });
    expect((await argon2Runs("hash")) - before).toBe(3);
    expect(await services.db.user.count({ where: { email: { startsWith: "burst-" } } })).toBe(3);
    expect(outcomes.find((o) => o.reason === "RATE_LIMITED")?.retryAfterMs).toBeGreaterThan(0);
    // Another network is not affected.
    expect((await signup("127.0.4.201", "elsewhere@example.test")).reason).toBe("OK");
  });

  test("a taken email is answered without hashing the password", async () => {
    const email = await account("taken");
    const before = await argon2Runs("hash");
    expect((await signup("127.0.4.210", email)).reason).toBe("EMAIL_TAKEN");
    expect((await argon2Runs("hash")) - before).toBe(0);
  });
});
