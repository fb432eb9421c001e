import { createHash, randomBytes } from "node:crypto";
import type { Services } from "../context";
import { Reason, appError } from "../errors";

/**
 * Single-use links mailed to an address (docs/decisions/021): 32 random bytes, base64url, in the
 * link; only their SHA-256 in EmailToken. One conditional UPDATE claims a token, so of any number
 * of concurrent uses exactly one gets it.
 */
export type EmailTokenPurpose = "VERIFY_EMAIL" | "RESET_PASSWORD";

export function newLinkToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashLinkToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

type TokenServices = Pick<Services, "db" | "clock">;

/** Stores a new link for `userId` and returns the token to mail. */
export async function issueEmailToken(
  services: TokenServices,
  input: { userId: string; purpose: EmailTokenPurpose; email: string; ttlMs: number },
): Promise<string> {
  const token = newLinkToken();
  const now = services.clock();
  await services.db.emailToken.create({
    data: {
      userId: input.userId,
      purpose: input.purpose,
      email: input.email,
      tokenHash: hashLinkToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + input.ttlMs),
    },
  });
  return token;
}

export type LinkState = "valid" | "used" | "expired" | "invalid";

/** What a link would do if used now, without using it (the page before the button). */
export async function emailTokenState(
  services: TokenServices,
  token: string,
  purpose: EmailTokenPurpose,
): Promise<LinkState> {
  const row = await services.db.emailToken.findUnique({
    where: { tokenHash: hashLinkToken(token) },
    select: { purpose: true, usedAt: true, expiresAt: true },
  });
  if (!row || row.purpose !== purpose) return "invalid";
  if (row.usedAt) return "used";
  return row.expiresAt <= services.clock() ? "expired" : "valid";
}

/** The answer for a link that cannot be used (LINK_INVALID, LINK_USED, LINK_EXPIRED). */
export function linkError(state: Exclude<LinkState, "valid">) {
  return LINK_ERRORS[state]();
}

const LINK_ERRORS = {
  invalid: () =>
    appError("NOT_FOUND", Reason.LINK_INVALID, "This link doesn't work. Check that you opened the whole link."),
  used: () => appError("CONFLICT", Reason.LINK_USED, "This link was already used. Each link works once."),
  expired: () => appError("BAD_REQUEST", Reason.LINK_EXPIRED, "This link has expired. Ask for a new one."),
} as const;

export interface ClaimedToken {
  id: string;
  userId: string;
  email: string;
}

/**
 * Uses the link: marks it used if it is unused and unexpired, in one statement, inside `tx` when
 * given (so what the link does commits with its use). Throws LINK_INVALID, LINK_USED or LINK_EXPIRED.
 */
export async function claimEmailToken(
  services: TokenServices,
  token: string,
  purpose: EmailTokenPurpose,
  tx: Pick<Services["db"], "$queryRaw"> = services.db,
): Promise<ClaimedToken> {
  const now = services.clock();
  const [claimed] = await tx.$queryRaw<ClaimedToken[]>`
    UPDATE "EmailToken" SET "usedAt" = ${now}
     WHERE "tokenHash" = ${hashLinkToken(token)} AND purpose = ${purpose}::"EmailTokenPurpose"
       AND "usedAt" IS NULL AND "expiresAt" > ${now}
    RETURNING id, "userId", email::text AS email`;
  if (claimed) return claimed;
  const state = await emailTokenState({ db: services.db, clock: () => now }, token, purpose);
  throw linkError(state === "valid" ? "used" : state);
}

/** Voids the user's other unused links of `purpose` (a newer one was used, or the password changed). */
export async function voidEmailTokens(
  services: TokenServices,
  userId: string,
  purpose: EmailTokenPurpose,
  tx: Pick<Services["db"], "emailToken"> = services.db,
): Promise<void> {
  await tx.emailToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: services.clock() } });
}

/**
 * After a password change or reset: reset links stop working, and so does a pending change of the
 * address — whoever asked for it may be who the new password locks out.
 */
export async function voidLinksOnPasswordChange(
  services: TokenServices,
  userId: string,
  tx: Pick<Services["db"], "emailToken" | "user">,
): Promise<void> {
  await voidEmailTokens(services, userId, "RESET_PASSWORD", tx);
  await voidAddressChange(services, userId, tx);
}

/** A pending change of the account's address (a verification link to another address) stops working. */
export async function voidAddressChange(
  services: TokenServices,
  userId: string,
  tx: Pick<Services["db"], "emailToken" | "user"> = services.db,
): Promise<void> {
  const { email } = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } });
  await tx.emailToken.updateMany({
    where: { userId, purpose: "VERIFY_EMAIL", usedAt: null, email: { not: email } },
    data: { usedAt: services.clock() },
  });
}
