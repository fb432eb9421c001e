import { randomUUID } from "node:crypto";
import { Prisma } from "@livehall/db";
import type { Services, SessionUser } from "../context";
import { TRPCError } from "@trpc/server";
import { Reason, ReasonCause, appError } from "../errors";
import { authCounters } from "../metrics";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./passwords";
import { beginLogin, beginSignup } from "./rate-limit";
import { claimInvitations } from "../services/enrollment";
import { sendSignupVerification } from "../services/email-verification";
import { invitationProvesAddress } from "../services/invitations";
import { markFamiliesRevoked } from "./revocation";
import { announceSignOut } from "./sign-out-notices";
import { hashRefreshToken, newRefreshToken, signAccessToken, successorOf } from "./tokens";

export interface IssuedTokens {
  user: SessionUser;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: SessionUser["role"];
  /** When the address was confirmed through a mailed link; null: not yet (docs/decisions/021). */
  emailVerifiedAt: Date | null;
}

const publicUserSelect = { id: true, email: true, name: true, role: true, emailVerifiedAt: true } as const;

/** How far the derived chain is walked inside the grace window before giving up. */
const MAX_CHAIN_WALK = 64;

type AuthServices = Pick<Services, "db" | "redis" | "keys" | "config" | "tokenKeys" | "logger" | "clock" | "events">;
type SignupServices = AuthServices & Pick<Services, "mailer">;

async function issueAccess(
  services: AuthServices,
  user: SessionUser,
  refreshToken: string,
  refreshTokenExpiresAt: Date,
): Promise<IssuedTokens> {
  const now = services.clock();
  // Never past the sign-in's own end: an access token outliving it would extend the sign-in.
  const ttlMs = Math.min(services.config.timings.accessTokenTtlMs, refreshTokenExpiresAt.getTime() - now.getTime());
  const access = await signAccessToken(services.tokenKeys, user, now, ttlMs);
  return {
    user,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt,
  };
}

/**
 * When a refresh token issued now expires: unused for the idle limit (or its own TTL, if shorter), or
 * at the sign-in's absolute end (SIGN_IN_MAX_AGE_DAYS after the password was entered), whichever is
 * first. Every token of a family gets its expiry here, so no refresh, lost-response re-serve or grace
 * answer ever reaches past either limit.
 */
function refreshTokenExpiry(services: AuthServices, now: Date, familyStartedAt: Date): Date {
  const { refreshTokenTtlMs, signInIdleMs, signInMaxAgeMs } = services.config.timings;
  return new Date(
    Math.min(now.getTime() + Math.min(refreshTokenTtlMs, signInIdleMs), familyStartedAt.getTime() + signInMaxAgeMs),
  );
}

/** A new token family: one per login (device). */
async function startFamily(
  services: AuthServices,
  user: { id: string; role: SessionUser["role"] },
  userAgent: string | null,
  /** The hash the password was checked against (sign-in): the sign-in starts only if it is still the account's. */
  checkedPasswordHash?: string,
): Promise<IssuedTokens> {
  const now = services.clock();
  const familyId = randomUUID();
  const refreshToken = newRefreshToken();
  const expiresAt = refreshTokenExpiry(services, now, now);
  // One transaction: the UPDATE's row lock orders this sign-in against a password change or reset,
  // so it either sees the new hash (and is refused) or exists before that change ends every sign-in.
  const started = await services.db.$transaction(async (tx) => {
    const signedIn = await tx.user.updateMany({
      where: { id: user.id, disabledAt: null, ...(checkedPasswordHash ? { passwordHash: checkedPasswordHash } : {}) },
      data: { lastSignInAt: now },
    });
    if (signedIn.count === 0) return false;
    await tx.refreshToken.create({
      data: {
        userId: user.id,
        familyId,
        familyStartedAt: now,
        tokenHash: hashRefreshToken(refreshToken),
        createdAt: now,
        expiresAt,
        userAgent: userAgent?.slice(0, 512) ?? null,
      },
    });
    return true;
  });
  if (!started) {
    // Checked only here, after the password: a disabled account is not revealed to someone guessing.
    const account = await services.db.user.findUnique({ where: { id: user.id }, select: { disabledAt: true } });
    if (account?.disabledAt) {
      throw appError("FORBIDDEN", Reason.ACCOUNT_DISABLED, "This account has been disabled. Ask a Livehall admin.");
    }
    // The password changed while it was being checked: the one given is not the account's any more.
    throw appError("UNAUTHORIZED", Reason.INVALID_CREDENTIALS, "Email or password is incorrect.");
  }
  // Courses that invited this address before it had an account (docs/decisions/020).
  await claimInvitations(services, user.id);
  return issueAccess(services, { id: user.id, role: user.role, familyId }, refreshToken, expiresAt);
}

/**
 * A new account (always a student). Its address is proved when it signs up through the link of an
 * invitation mailed to that address; otherwise a verification link is mailed (docs/decisions/021).
 */
export async function signup(
  services: SignupServices,
  input: { email: string; name: string; password: string; invitation?: string | undefined },
  request: { ip: string; userAgent: string | null },
): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  await beginSignup(services, request.ip);
  // The answer says so anyway (EMAIL_TAKEN), so a taken email costs no argon2 run; a race is caught below.
  if (await services.db.user.findUnique({ where: { email: input.email }, select: { id: true } })) throw emailTaken();
  const proved = input.invitation ? await invitationProvesAddress(services, input.invitation, input.email) : false;
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await services.db.user.create({
      data: {
        email: input.email,
        name: input.name,
        passwordHash,
        role: "STUDENT",
        emailVerifiedAt: proved ? services.clock() : null,
      },
      select: publicUserSelect,
    });
    const tokens = await startFamily(services, user, request.userAgent);
    if (!proved) sendSignupVerification(services, user);
    return { user, tokens };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") throw emailTaken();
    throw error;
  }
}

const emailTaken = () =>
  appError("CONFLICT", Reason.EMAIL_TAKEN, "An account with this email already exists. Sign in instead.");

export async function login(
  services: AuthServices,
  input: { email: string; password: string },
  request: { ip: string; userAgent: string | null },
): Promise<{ user: PublicUser; tokens: IssuedTokens }> {
  const attempt = await beginLogin(services, input.email, request.ip);
  const user = await services.db.user.findUnique({
    where: { email: input.email },
    select: { ...publicUserSelect, passwordHash: true },
  });
  // Always run argon2, so an unknown email and a wrong password cost the same time and get the same answer.
  const valid = await verifyPassword(user?.passwordHash ?? DUMMY_PASSWORD_HASH, input.password);
  if (!user || !valid) {
    authCounters.loginFailed.inc({ reason: Reason.INVALID_CREDENTIALS });
    throw appError("UNAUTHORIZED", Reason.INVALID_CREDENTIALS, "Email or password is incorrect.", {
      attempts: attempt.ifFailed,
    });
  }
  await attempt.succeeded();
  const { passwordHash, ...publicUser } = user;
  return { user: publicUser, tokens: await startFamily(services, user, request.userAgent, passwordHash) };
}

function refreshFailure(reason: Reason, message: string) {
  authCounters.refreshFailed.inc({ reason });
  return appError("UNAUTHORIZED", reason, message);
}

const tokenSelect = {
  id: true,
  familyId: true,
  familyStartedAt: true,
  expiresAt: true,
  rotatedAt: true,
  revokedAt: true,
  revokedReason: true,
  user: { select: { id: true, role: true, disabledAt: true } },
} as const;

type TokenRow = NonNullable<Awaited<ReturnType<typeof findToken>>>;

function findToken(services: AuthServices, token: string) {
  return services.db.refreshToken.findUnique({ where: { tokenHash: hashRefreshToken(token) }, select: tokenSelect });
}

function revokedFailure(row: TokenRow) {
  return row.revokedReason === "REFRESH_TOKEN_REUSED"
    ? refreshFailure(Reason.REFRESH_TOKEN_REUSED, "This sign-in was ended for your safety. Sign in again.")
    : refreshFailure(Reason.SESSION_REVOKED, "You have been signed out. Sign in again.");
}

const isUsable = (row: TokenRow | null, now: Date): row is TokenRow =>
  !!row && row.revokedAt === null && row.rotatedAt === null && row.expiresAt > now;

/**
 * Rotates T: marks it used and stores its successor HMAC(secret, T), atomically — one statement, so
 * the row lock that serializes concurrent callers is held for that statement only, not across the
 * round trips of a transaction. The conditional UPDATE is the serialization point across processes:
 * of any number of concurrent callers exactly one wins, and the others see T as rotated and are
 * answered with the same successor.
 */
async function rotate(services: AuthServices, row: TokenRow, token: string, now: Date, userAgent: string | null) {
  const successor = successorOf(services.tokenKeys, token);
  const expiresAt = refreshTokenExpiry(services, now, row.familyStartedAt);
  const inserted = await services.db.$queryRaw<{ id: string }[]>`
    WITH claimed AS (
      UPDATE "RefreshToken" SET "rotatedAt" = ${now}
      WHERE id = ${row.id}::uuid AND "rotatedAt" IS NULL AND "revokedAt" IS NULL
      RETURNING id, "userId", "familyId", "familyStartedAt"
    )
    INSERT INTO "RefreshToken" ("userId", "familyId", "familyStartedAt", "tokenHash", "parentId", "createdAt", "expiresAt", "userAgent")
    SELECT "userId", "familyId", "familyStartedAt", ${hashRefreshToken(successor)}, id, ${now}, ${expiresAt}, ${userAgent?.slice(0, 512) ?? null}
    FROM claimed
    RETURNING id`;
  return inserted.length === 0 ? null : { successor, expiresAt };
}

/**
 * auth.refresh — the rotation rules (docs/architecture.md#refresh-rotation, docs/decisions/006):
 * 1. an unused, valid token is rotated;
 * 2. a rotated token whose successor is still unused is answered with that successor, at any age
 *    (tabs refreshing at once, a response lost on the network);
 * 3. a rotated token inside the grace window is answered with the family's current token;
 * 4. anything else is replay of a stolen token: the family is revoked everywhere.
 */
export function refresh(services: AuthServices, token: string, userAgent: string | null): Promise<IssuedTokens> {
  // Tabs refresh together (a shared cookie, one expiry): concurrent presentations of one token in
  // this process share one answer instead of queueing on its row one by one. Across processes the
  // row still serializes them (rotate), and every caller gets what it would have got alone: the
  // same successor, or the same refusal.
  let inFlight = refreshesInFlight.get(services.db);
  if (!inFlight) refreshesInFlight.set(services.db, (inFlight = new Map()));
  const key = hashRefreshToken(token);
  const pending = inFlight.get(key);
  if (pending) {
    // Counted per caller, as if each had refreshed alone, so the failure rate stays per request.
    return pending.then(
      (tokens) => {
        authCounters.refreshSucceeded.inc({ path: "shared_in_flight" });
        return tokens;
      },
      (error: unknown) => {
        if (error instanceof TRPCError && error.cause instanceof ReasonCause)
          authCounters.refreshFailed.inc({ reason: error.cause.reason });
        throw error;
      },
    );
  }
  const started = resolveRefresh(services, token, userAgent).finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}

/** Refreshes running in this process, per database client (one per services container), by token hash. */
const refreshesInFlight = new WeakMap<AuthServices["db"], Map<string, Promise<IssuedTokens>>>();

async function resolveRefresh(services: AuthServices, token: string, userAgent: string | null): Promise<IssuedTokens> {
  const now = services.clock();
  let row = await findToken(services, token);
  if (!row) throw refreshFailure(Reason.REFRESH_TOKEN_INVALID, "Unknown refresh token. Sign in again.");
  if (row.revokedAt) throw revokedFailure(row);
  // Disabling revokes every family too; this covers a token presented between the two steps.
  if (row.user.disabledAt) throw refreshFailure(Reason.SESSION_REVOKED, "You have been signed out. Sign in again.");

  if (row.rotatedAt === null) {
    if (row.expiresAt <= now)
      throw refreshFailure(Reason.REFRESH_TOKEN_EXPIRED, "Your sign-in has expired. Sign in again.");
    const rotated = await rotate(services, row, token, now, userAgent);
    if (rotated) {
      authCounters.refreshSucceeded.inc({ path: "rotated" });
      return issueAccess(
        services,
        { id: row.user.id, role: row.user.role, familyId: row.familyId },
        rotated.successor,
        rotated.expiresAt,
      );
    }
    // Another request rotated it a moment ago (tabs refreshing at once). Its successor is the answer
    // when still unused — checked first, as it is what every loser of the race gets. (A revoked T
    // has a revoked successor: families are revoked as a whole.) Otherwise continue as a rotated token.
    const successor = successorOf(services.tokenKeys, token);
    const successorRow = await findToken(services, successor);
    if (isUsable(successorRow, now)) {
      authCounters.refreshSucceeded.inc({ path: "successor_reserved" });
      return issueAccess(
        services,
        { id: row.user.id, role: row.user.role, familyId: row.familyId },
        successor,
        successorRow.expiresAt,
      );
    }
    row = await findToken(services, token);
    if (!row) throw refreshFailure(Reason.REFRESH_TOKEN_INVALID, "Unknown refresh token. Sign in again.");
    if (row.revokedAt) throw revokedFailure(row);
  }
  const user = { id: row.user.id, role: row.user.role, familyId: row.familyId };

  let candidate = successorOf(services.tokenKeys, token);
  let candidateRow = await findToken(services, candidate);
  if (isUsable(candidateRow, now)) {
    authCounters.refreshSucceeded.inc({ path: "successor_reserved" });
    return issueAccess(services, user, candidate, candidateRow.expiresAt);
  }

  const rotatedAt = row.rotatedAt ?? now;
  if (now.getTime() - rotatedAt.getTime() <= services.config.timings.refreshGraceMs) {
    for (let depth = 0; candidateRow && depth < MAX_CHAIN_WALK; depth++) {
      if (candidateRow.revokedAt) throw revokedFailure(candidateRow);
      if (isUsable(candidateRow, now)) {
        authCounters.refreshSucceeded.inc({ path: "grace_current" });
        return issueAccess(services, user, candidate, candidateRow.expiresAt);
      }
      candidate = successorOf(services.tokenKeys, candidate);
      candidateRow = await findToken(services, candidate);
    }
  } else if (row.expiresAt <= now) {
    throw refreshFailure(Reason.REFRESH_TOKEN_EXPIRED, "Your sign-in has expired. Sign in again.");
  }

  await revokeFamilies(services, row.user.id, [row.familyId], "REFRESH_TOKEN_REUSED");
  authCounters.reuseDetected.inc();
  services.logger.warn({ familyId: row.familyId, userId: row.user.id }, "refresh token reuse detected; family revoked");
  throw refreshFailure(Reason.REFRESH_TOKEN_REUSED, "This sign-in was ended for your safety. Sign in again.");
}

const NOTICE_REASON = {
  LOGOUT: Reason.SESSION_REVOKED,
  LOGOUT_ALL: Reason.SESSION_REVOKED,
  REFRESH_TOKEN_REUSED: Reason.REFRESH_TOKEN_REUSED,
  ADMIN: Reason.ACCOUNT_DISABLED,
  PASSWORD_CHANGED: Reason.SESSION_REVOKED,
} as const;

/**
 * Revokes every token of the user's families, in the database and for their live access tokens,
 * and ends those sign-ins' open event streams. Idempotent.
 */
async function revokeFamilies(
  services: AuthServices,
  userId: string,
  familyIds: string[],
  reason: keyof typeof NOTICE_REASON,
) {
  if (familyIds.length === 0) return;
  await services.db.refreshToken.updateMany({
    where: { familyId: { in: familyIds }, revokedAt: null },
    data: { revokedAt: services.clock(), revokedReason: reason },
  });
  await markFamiliesRevoked(services, familyIds);
  await announceSignOut(services, userId, { familyIds, reason: NOTICE_REASON[reason] });
}

/** Ends one sign-in (device). Safe to call any number of times, with a gone or unknown token. */
export async function logout(
  services: AuthServices,
  owner: { familyId: string; userId: string } | null,
): Promise<void> {
  if (owner) await revokeFamilies(services, owner.userId, [owner.familyId], "LOGOUT");
}

/** The sign-in (family) and user a refresh token belongs to, if the token is known (revoked or not). */
export async function refreshTokenOwner(
  services: AuthServices,
  token: string,
): Promise<{ familyId: string; userId: string } | null> {
  const row = await findToken(services, token);
  return row ? { familyId: row.familyId, userId: row.user.id } : null;
}

/** Ends every sign-in of the user on every device. */
export function logoutAll(
  services: AuthServices,
  userId: string,
  currentFamilyId: string | null,
): Promise<{ families: number }> {
  return endEverySignIn(services, userId, "LOGOUT_ALL", currentFamilyId);
}

/**
 * Revokes every sign-in (family) of the user, including `alsoFamilyId` (the caller's own, whose
 * tokens may all be rotated already), for logout-all and for an admin disabling the account.
 */
export async function endEverySignIn(
  services: AuthServices,
  userId: string,
  reason: "LOGOUT_ALL" | "ADMIN",
  alsoFamilyId: string | null = null,
): Promise<{ families: number }> {
  const families = await services.db.refreshToken.findMany({
    where: { userId, revokedAt: null },
    select: { familyId: true },
    distinct: ["familyId"],
  });
  const familyIds = [
    ...new Set([...families.map((family) => family.familyId), ...(alsoFamilyId ? [alsoFamilyId] : [])]),
  ];
  await revokeFamilies(services, userId, familyIds, reason);
  return { families: familyIds.length };
}

/**
 * After a password change or reset: ends every sign-in of the user but `keepFamilyId` (the one that
 * changed it, if any), on every device, at once.
 */
export async function endOtherSignIns(
  services: AuthServices,
  userId: string,
  keepFamilyId: string | null,
): Promise<{ families: number }> {
  const families = await services.db.refreshToken.findMany({
    where: { userId, revokedAt: null, ...(keepFamilyId ? { familyId: { not: keepFamilyId } } : {}) },
    select: { familyId: true },
    distinct: ["familyId"],
  });
  const familyIds = families.map((family) => family.familyId);
  await revokeFamilies(services, userId, familyIds, "PASSWORD_CHANGED");
  return { families: familyIds.length };
}

export async function currentUser(services: AuthServices, userId: string): Promise<PublicUser> {
  const user = await services.db.user.findUnique({ where: { id: userId }, select: publicUserSelect });
  if (!user) throw appError("UNAUTHORIZED", Reason.UNAUTHENTICATED, "Sign in to continue.");
  return user;
}

export const TOKEN_CLEANUP_BATCH = 1_000;

/**
 * Deletes refresh tokens that expired, or were revoked longer ago than the retention (kept until
 * then so a replay is still recognised as such). Batched so no statement holds long locks; safe to
 * run concurrently and to re-run after a crash.
 */
export async function cleanupTokens(
  services: Pick<Services, "db" | "config" | "clock">,
): Promise<{ expired: number; revoked: number }> {
  const now = services.clock();
  const revokedBefore = new Date(now.getTime() - services.config.timings.refreshTokenRetentionMs);
  const deleteBatch = (condition: Prisma.Sql) =>
    services.db.$executeRaw`
      DELETE FROM "RefreshToken" WHERE id IN (
        SELECT id FROM "RefreshToken" WHERE ${condition} LIMIT ${TOKEN_CLEANUP_BATCH} FOR UPDATE SKIP LOCKED
      )`;
  const drain = async (condition: Prisma.Sql) => {
    let total = 0;
    for (;;) {
      const deleted = await deleteBatch(condition);
      total += deleted;
      if (deleted < TOKEN_CLEANUP_BATCH) return total;
    }
  };
  const expired = await drain(Prisma.sql`"expiresAt" <= ${now}`);
  const revoked = await drain(Prisma.sql`"revokedAt" <= ${revokedBefore}`);
  return { expired, revoked };
}
