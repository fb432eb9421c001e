import { waitFor } from "@livehall/testing";
import { SignJWT, decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestServices, fakeClock, insertUsers } from "../testing/services";
import { authCounters } from "../metrics";
import { hashPassword } from "./passwords";
import { authenticateRequest } from "./request-auth";
import { cleanupTokens, endOtherSignIns, login, logout, logoutAll, refresh } from "./service";
import { hashRefreshToken } from "./tokens";

const clock = fakeClock(new Date("2026-11-27T12:00:00Z"));
const { services, close } = createTestServices({ REFRESH_GRACE_SECONDS: "10" }, { clock: clock.now });
// A second instance on the same database and Redis (its own clients), as another web process would be.
const other = createTestServices({ REFRESH_GRACE_SECONDS: "10" }, { clock: clock.now });
afterAll(() => Promise.all([close(), other.close()]));

const PASSWORD = "correct horse battery";
let email: string;
let userId: string;

beforeAll(async () => {
  const [user] = await insertUsers(services, 1, {
    passwordHash: await hashPassword(PASSWORD),
    emailPrefix: "rotation",
  });
  email = user!.email;
  userId = user!.id;
});

const signIn = () =>
  login(services, { email, password: PASSWORD }, { ip: "127.0.8.1", userAgent: "vitest" }).then((r) => r.tokens);
const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: { cause?: { reason?: string } }) => error.cause?.reason ?? String(error),
  );
const successCount = async (path: string) =>
  (await authCounters.refreshSucceeded.get()).values.find((value) => value.labels.path === path)?.value ?? 0;
const failureCount = async (reason: string) =>
  (await authCounters.refreshFailed.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
const bearer = (accessToken: string) => authenticateRequest(services, { authorization: `Bearer ${accessToken}` });

describe("refresh rotation", () => {
  test("20 concurrent refreshes of one token all get the same new token, which refreshes again", async () => {
    const first = await signIn();
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(services, first.refreshToken, null)));
    const successors = new Set(results.map((result) => result.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = successors;
    expect(successor).not.toBe(first.refreshToken);
    // Exactly one successor row was created for the family.
    expect(await services.db.refreshToken.count({ where: { familyId: results[0]!.user.familyId } })).toBe(2);

    const next = await refresh(services, successor!, null);
    expect(next.refreshToken).not.toBe(successor);
    expect((await bearer(next.accessToken)).user?.id).toBe(userId);
  });

  test("concurrent refreshes in one process share one rotation; each caller is counted", async () => {
    const first = await signIn();
    const before = { rotated: await successCount("rotated"), shared: await successCount("shared_in_flight") };
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(services, first.refreshToken, null)));
    expect(new Set(results.map((result) => result.refreshToken)).size).toBe(1);
    expect((await successCount("rotated")) - before.rotated).toBe(1);
    expect((await successCount("shared_in_flight")) - before.shared).toBe(19);

    // A refusal is shared the same way, and counted once per caller.
    const failuresBefore = await failureCount("REFRESH_TOKEN_INVALID");
    const refusals = await Promise.all(
      Array.from({ length: 5 }, () => reasonOf(refresh(services, "not-a-token-anyone-was-given", null))),
    );
    expect(refusals).toEqual(Array(5).fill("REFRESH_TOKEN_INVALID"));
    expect((await failureCount("REFRESH_TOKEN_INVALID")) - failuresBefore).toBe(5);
  });

  test("two instances refreshing one token at once: the row serializes them, everyone gets the same single successor", async () => {
    const first = await signIn();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refresh(i % 2 === 0 ? services : other.services, first.refreshToken, null)),
    );
    expect(new Set(results.map((result) => result.refreshToken)).size).toBe(1);
    expect(await services.db.refreshToken.count({ where: { familyId: results[0]!.user.familyId } })).toBe(2);
  });

  test("a token whose successor was never used gets that successor an hour later (lost response)", async () => {
    const first = await signIn();
    const lost = await refresh(services, first.refreshToken, null); // the answer never reached the client
    clock.advance(60 * 60 * 1000);
    const retried = await refresh(services, first.refreshToken, null);
    expect(retried.refreshToken).toBe(lost.refreshToken);
    expect(retried.accessTokenExpiresAt.getTime()).toBeGreaterThan(clock.now().getTime());
  });

  test("inside the grace window an old token gets the family's current token", async () => {
    const t0 = await signIn();
    const t1 = await refresh(services, t0.refreshToken, null);
    const t2 = await refresh(services, t1.refreshToken, null); // t1's successor is now used
    clock.advance(5_000);
    const late = await refresh(services, t0.refreshToken, null);
    expect(late.refreshToken).toBe(t2.refreshToken);
  });

  test("replay after the successor was used and the grace window passed revokes the whole family", async () => {
    const t0 = await signIn();
    const t1 = await refresh(services, t0.refreshToken, null);
    const t2 = await refresh(services, t1.refreshToken, null);
    clock.advance(11_000);

    expect(await reasonOf(refresh(services, t0.refreshToken, null))).toBe("REFRESH_TOKEN_REUSED");
    // Every token of the family is dead, including the legitimate current one...
    expect(await reasonOf(refresh(services, t2.refreshToken, null))).toBe("REFRESH_TOKEN_REUSED");
    const family = await services.db.refreshToken.findMany({ where: { familyId: t0.user.familyId } });
    expect(family.every((row) => row.revokedReason === "REFRESH_TOKEN_REUSED")).toBe(true);
    // ...and its access tokens fail at once, not when they expire.
    expect((await bearer(t2.accessToken)).error).toBe("SESSION_REVOKED");
    // Another sign-in of the same user is untouched.
    const other = await signIn();
    expect((await bearer(other.accessToken)).user?.id).toBe(userId);
    expect((await refresh(services, other.refreshToken, null)).user.id).toBe(userId);
  });

  test("unknown and expired tokens are refused with their own reasons", async () => {
    expect(await reasonOf(refresh(services, "not-a-token-we-ever-issued", null))).toBe("REFRESH_TOKEN_INVALID");
    const t0 = await signIn();
    clock.advance(services.config.timings.refreshTokenTtlMs + 1);
    expect(await reasonOf(refresh(services, t0.refreshToken, null))).toBe("REFRESH_TOKEN_EXPIRED");
  });

  test("the database stores hashes only", async () => {
    const t0 = await signIn();
    const rows = await services.db.refreshToken.findMany({ where: { familyId: t0.user.familyId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(hashRefreshToken(t0.refreshToken));
    expect(JSON.stringify(rows)).not.toContain(t0.refreshToken);
  });
});

describe("sign-in lifetime", () => {
  const DAY = 86_400_000;

  test("refreshing never extends a sign-in past SIGN_IN_MAX_AGE_DAYS after the password", async () => {
    const end = clock.now().getTime() + services.config.timings.signInMaxAgeMs;
    let tokens = await signIn();
    for (let refreshes = 0; refreshes < 2; refreshes++) {
      clock.advance(10 * DAY);
      tokens = await refresh(services, tokens.refreshToken, null);
    }
    expect(tokens.refreshTokenExpiresAt.getTime()).toBe(end);
    clock.advance(end - clock.now().getTime() - 60_000);
    const last = await refresh(services, tokens.refreshToken, null);
    expect(last.refreshTokenExpiresAt.getTime()).toBe(end);
    // The access token ends with the sign-in (JWT times are whole seconds), not 15 minutes later.
    expect(last.accessTokenExpiresAt.getTime()).toBe(Math.floor(end / 1000) * 1000);
    clock.advance(60_000);
    expect(await reasonOf(refresh(services, last.refreshToken, null))).toBe("REFRESH_TOKEN_EXPIRED");
    // Its unused successor is not re-served past the end either (the lost-response rule's limit).
    expect(await reasonOf(refresh(services, tokens.refreshToken, null))).toBe("REFRESH_TOKEN_EXPIRED");
  });

  test("a sign-in unused for SIGN_IN_IDLE_DAYS ends; a lost response is re-served until then, not after", async () => {
    const idleMs = services.config.timings.signInIdleMs;
    const first = await signIn();
    const lost = await refresh(services, first.refreshToken, null);
    expect(lost.refreshTokenExpiresAt.getTime()).toBe(clock.now().getTime() + idleMs);
    clock.advance(idleMs - 1_000);
    expect((await refresh(services, first.refreshToken, null)).refreshToken).toBe(lost.refreshToken);
    clock.advance(1_000);
    expect(await reasonOf(refresh(services, first.refreshToken, null))).toBe("REFRESH_TOKEN_EXPIRED");
    expect(await reasonOf(refresh(services, lost.refreshToken, null))).toBe("REFRESH_TOKEN_EXPIRED");
  });
});

describe("access tokens", () => {
  test("carry iss and aud; a token signed with the same key without them, or for another audience, is refused", async () => {
    const { accessToken, user } = await signIn();
    expect(decodeJwt(accessToken)).toMatchObject({ iss: "livehall", aud: "livehall-api" });
    const iat = Math.floor(clock.now().getTime() / 1000);
    const forged = (claims: { iss?: string; aud?: string }) => {
      const jwt = new SignJWT({ role: "ADMIN", fam: user.familyId })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user.id)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 300);
      if (claims.iss) jwt.setIssuer(claims.iss);
      if (claims.aud) jwt.setAudience(claims.aud);
      return jwt.sign(services.tokenKeys.accessJwt);
    };
    expect((await bearer(await forged({}))).error).toBe("UNAUTHENTICATED");
    expect((await bearer(await forged({ iss: "livehall", aud: "something-else" }))).error).toBe("UNAUTHENTICATED");
    expect((await bearer(await forged({ iss: "someone-else", aud: "livehall-api" }))).error).toBe("UNAUTHENTICATED");
    expect((await bearer(await forged({ iss: "livehall", aud: "livehall-api" }))).user?.role).toBe("ADMIN");
  });
});

describe("logout", () => {
  test("logout revokes its family only, and twice is fine", async () => {
    const phone = await signIn();
    const laptop = await signIn();
    await logout(services, { familyId: phone.user.familyId, userId: phone.user.id });
    await logout(services, { familyId: phone.user.familyId, userId: phone.user.id });
    expect((await bearer(phone.accessToken)).error).toBe("SESSION_REVOKED");
    expect(await reasonOf(refresh(services, phone.refreshToken, null))).toBe("SESSION_REVOKED");
    expect((await bearer(laptop.accessToken)).user?.id).toBe(userId);
  });

  test("logoutAll revokes every family of the user", async () => {
    const sessions = await Promise.all([signIn(), signIn(), signIn()]);
    await logoutAll(services, userId, sessions[0]!.user.familyId);
    await logoutAll(services, userId, sessions[0]!.user.familyId);
    for (const session of sessions) {
      expect((await bearer(session.accessToken)).error).toBe("SESSION_REVOKED");
      expect(await reasonOf(refresh(services, session.refreshToken, null))).toBe("SESSION_REVOKED");
    }
  });
});

describe("a password change during a sign-in", () => {
  test("a sign-in that checked the old password while it changed does not start (no sign-in survives the change)", async () => {
    const [user] = await insertUsers(services, 1, { passwordHash: await hashPassword(PASSWORD), emailPrefix: "race" });
    const newHash = await hashPassword("a brand new password");
    const waitingForLock = () =>
      services.db.$queryRaw<{ waiting: bigint }[]>`
        SELECT count(*) AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    let signingIn: Promise<string> | undefined;
    // The change holds the account's row while a sign-in with the old password gets past argon2 and
    // waits for it; then the change commits and ends every sign-in, as a reset does.
    await services.db.$transaction(
      async (tx) => {
        await tx.user.update({ where: { id: user!.id }, data: { passwordHash: newHash } });
        signingIn = reasonOf(
          login(services, { email: user!.email, password: PASSWORD }, { ip: "127.0.8.9", userAgent: "vitest" }),
        );
        await waitFor(async () => (await waitingForLock())[0]!.waiting > 0n, {
          what: "the sign-in waiting for the row",
        });
      },
      { timeout: 30_000 },
    );
    await endOtherSignIns(services, user!.id, null);
    expect(await signingIn).toBe("INVALID_CREDENTIALS");
    expect(await services.db.refreshToken.count({ where: { userId: user!.id, revokedAt: null } })).toBe(0);
  });
});

describe("cleanupTokens", () => {
  test("deletes expired tokens and tokens revoked longer ago than the retention, in batches, and is idempotent", async () => {
    const now = clock.now();
    const retention = services.config.timings.refreshTokenRetentionMs;
    const row = (i: number, data: { expiresAt: Date; revokedAt?: Date }) => ({
      userId,
      familyId: crypto.randomUUID(),
      tokenHash: hashRefreshToken(`cleanup-${i}-${Math.random()}`),
      ...data,
    });
    const future = new Date(now.getTime() + 86_400_000);
    await services.db.refreshToken.createMany({
      data: [
        ...Array.from({ length: 2_100 }, (_, i) => row(i, { expiresAt: new Date(now.getTime() - 1_000) })),
        ...Array.from({ length: 30 }, (_, i) =>
          row(10_000 + i, { expiresAt: future, revokedAt: new Date(now.getTime() - retention - 1_000) }),
        ),
        ...Array.from({ length: 7 }, (_, i) =>
          row(20_000 + i, { expiresAt: future, revokedAt: new Date(now.getTime() - 1_000) }),
        ),
      ],
    });
    const before = await services.db.refreshToken.count();
    const result = await cleanupTokens(services);
    expect(result.expired).toBeGreaterThanOrEqual(2_100);
    expect(result.revoked).toBe(30);
    expect(await services.db.refreshToken.count()).toBe(before - result.expired - result.revoked);
    expect(await services.db.refreshToken.count({ where: { OR: [{ expiresAt: { lte: now } }] } })).toBe(0);
    expect(await cleanupTokens(services)).toEqual({ expired: 0, revoked: 0 });
  });
});
