import { Prisma } from "@livehall/db";
import type { Services } from "../context";
import { Reason, appError } from "../errors";
import {
  claimEmailToken,
  emailTokenState,
  issueEmailToken,
  voidEmailTokens,
  type LinkState,
} from "../auth/email-tokens";
import { spendVerificationMail } from "../auth/rate-limit";
import { sendMail, sendMailInBackground } from "../mail/send";
import { claimInvitations } from "./enrollment";

/**
 * E-mail verification (docs/decisions/021). A new account gets a link to its address; a changed
 * address gets one to the new address and takes effect only when it is used. Until verified an
 * account works, but invitations to closed courses wait for it and no reminders are sent to it.
 */
type VerificationServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "mailer" | "logger">;

const hoursValid = (services: VerificationServices) => Math.round(services.config.mail.verifyTtlMs / 3_600_000);

async function mailVerificationLink(
  services: VerificationServices,
  user: { id: string; name: string },
  email: string,
  change: boolean,
) {
  const token = await issueEmailToken(services, {
    userId: user.id,
    purpose: "VERIFY_EMAIL",
    email,
    ttlMs: services.config.mail.verifyTtlMs,
  });
  return {
    to: email,
    template: {
      id: "verify-email" as const,
      params: { name: user.name, token, hoursValid: hoursValid(services), change },
    },
  };
}

/** After sign-up: the verification mail, sent after the answer (a mail server outage never fails a sign-up). */
export function sendSignupVerification(
  services: VerificationServices,
  user: { id: string; name: string; email: string },
) {
  sendMailInBackground(services, () => mailVerificationLink(services, user, user.email, false));
}

/** auth.resendVerification — a new link to the account's address (or to the address it is changing to). */
export async function resendVerification(services: VerificationServices, userId: string) {
  const user = await services.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { id: true, name: true, email: true, emailVerifiedAt: true },
  });
  const pending = await pendingEmailChange(services, userId);
  if (user.emailVerifiedAt && !pending) return { sent: false as const, email: user.email };
  await spendVerificationMail(services, userId);
  const to = pending ?? user.email;
  await sendMail(services, await mailVerificationLink(services, user, to, pending !== null));
  return { sent: true as const, email: to };
}

/** The address the user asked to change to, while its link is unused and valid; else null. */
export async function pendingEmailChange(services: Pick<Services, "db" | "clock">, userId: string) {
  const row = await services.db.$queryRaw<{ email: string }[]>`
    SELECT t.email::text AS email FROM "EmailToken" t JOIN "User" u ON u.id = t."userId"
     WHERE t."userId" = ${userId}::uuid AND t.purpose = 'VERIFY_EMAIL' AND t."usedAt" IS NULL
       AND t."expiresAt" > ${services.clock()} AND t.email <> u.email
     ORDER BY t."createdAt" DESC LIMIT 1`;
  return row[0]?.email ?? null;
}

/** account.changeEmail, once the password was checked: the link goes to the new address. */
export async function requestEmailChange(
  services: VerificationServices,
  user: { id: string; name: string; email: string },
  email: string,
) {
  if (email.toLowerCase() === user.email.toLowerCase()) {
    throw appError("BAD_REQUEST", Reason.INVALID_INPUT, "That is already your address.");
  }
  // Spent first: asking is what the budget limits, so it cannot be used to probe which addresses have accounts.
  await spendVerificationMail(services, user.id);
  if (await services.db.user.findUnique({ where: { email }, select: { id: true } })) throw emailTaken();
  // Only the newest change is pending: an older link to another address stops working.
  await voidEmailTokens(services, user.id, "VERIFY_EMAIL");
  await sendMail(services, await mailVerificationLink(services, user, email, true));
  return { pendingEmail: email };
}

const emailTaken = () =>
  appError("CONFLICT", Reason.EMAIL_TAKEN, "Another account uses this address. Sign in to that one instead.");

/** auth.linkStatus for verification links: what the page says before anything is done. */
export function verificationLinkState(services: Pick<Services, "db" | "clock">, token: string): Promise<LinkState> {
  return emailTokenState(services, token, "VERIFY_EMAIL");
}

/**
 * auth.verifyEmail — uses the link: the address it was sent to becomes the account's, verified
 * (a change takes effect now), and invitations waiting for that address complete. Once only.
 */
export async function verifyEmail(services: VerificationServices, token: string) {
  const now = services.clock();
  try {
    const result = await services.db.$transaction(async (tx) => {
      const claimed = await claimEmailToken(services, token, "VERIFY_EMAIL", tx);
      const user = await tx.user.update({
        where: { id: claimed.userId },
        data: { email: claimed.email, emailVerifiedAt: now },
        select: { id: true, email: true },
      });
      // Any other pending link (an older change) is void now.
      await voidEmailTokens(services, claimed.userId, "VERIFY_EMAIL", tx);
      return user;
    });
    const enrolled = await claimInvitations(services, result.id);
    return { email: result.email, enrolledCourses: enrolled };
  } catch (error) {
    // Someone took the address between the request and the click.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") throw emailTaken();
    throw error;
  }
}
