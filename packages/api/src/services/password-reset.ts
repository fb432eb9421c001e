import type { Services } from "../context";
import {
  claimEmailToken,
  emailTokenState,
  issueEmailToken,
  linkError,
  voidLinksOnPasswordChange,
  type LinkState,
} from "../auth/email-tokens";
import { hashPassword } from "../auth/passwords";
import { beginPasswordReset } from "../auth/rate-limit";
import { endOtherSignIns } from "../auth/service";
import { sendMailInBackground } from "../mail/send";
import { leaveAllSessions } from "./participants";

/**
 * Password reset (docs/decisions/021): "Forgot password?" mails a single-use link (30 minutes by
 * default); using it sets a new password and ends every sign-in of the account on every device.
 */
type ResetServices = Pick<
  Services,
  "db" | "redis" | "keys" | "config" | "clock" | "mailer" | "logger" | "tokenKeys" | "events" | "media"
>;

/**
 * auth.requestPasswordReset — the same answer whether or not the address has an account: the
 * budgets are spent either way, and the lookup and the mail happen after the answer, so neither
 * its content nor its timing tells.
 */
export async function requestPasswordReset(services: ResetServices, email: string, ip: string) {
  await beginPasswordReset(services, email, ip);
  const minutesValid = Math.round(services.config.mail.resetTtlMs / 60_000);
  sendMailInBackground(services, async () => {
    const user = await services.db.user.findUnique({
      where: { email },
      select: { id: true, name: true, email: true, disabledAt: true },
    });
    if (!user || user.disabledAt) return null;
    const token = await issueEmailToken(services, {
      userId: user.id,
      purpose: "RESET_PASSWORD",
      email: user.email,
      ttlMs: services.config.mail.resetTtlMs,
    });
    return {
      to: user.email,
      template: { id: "password-reset" as const, params: { name: user.name, token, minutesValid } },
    };
  });
  // The same for every address: how long a link works, for the page to say.
  return { ok: true as const, minutesValid };
}

export function resetLinkState(services: Pick<Services, "db" | "clock">, token: string): Promise<LinkState> {
  return emailTokenState(services, token, "RESET_PASSWORD");
}

/**
 * auth.resetPassword — uses the link (once: concurrent uses get one success and LINK_USED) and
 * sets the new password in the same transaction; then every sign-in of the account ends, and it
 * leaves the live sessions it was in. Other reset links of the account and a pending change of its
 * address stop working.
 */
export async function resetPassword(services: ResetServices, token: string, password: string) {
  // Only a usable link costs an argon2 run (random tokens are refused by one indexed read), and
  // the hash is made before the transaction so argon2 never holds the token's row lock.
  const state = await resetLinkState(services, token);
  if (state !== "valid") throw linkError(state);
  const passwordHash = await hashPassword(password);
  const userId = await services.db.$transaction(async (tx) => {
    const claimed = await claimEmailToken(services, token, "RESET_PASSWORD", tx);
    await tx.user.update({ where: { id: claimed.userId }, data: { passwordHash } });
    // The link reached the address, which proves it as a verification link would.
    await tx.user.updateMany({
      where: { id: claimed.userId, email: claimed.email, emailVerifiedAt: null },
      data: { emailVerifiedAt: services.clock() },
    });
    await voidLinksOnPasswordChange(services, claimed.userId, tx);
    return claimed.userId;
  });
  const { families } = await endOtherSignIns(services, userId, null);
  await leaveAllSessions(services, userId);
  return { ok: true as const, signedOut: families };
}
