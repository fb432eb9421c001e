import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import { voidAddressChange, voidLinksOnPasswordChange } from "../auth/email-tokens";
import { hashPassword, verifyPassword } from "../auth/passwords";
import { beginLogin } from "../auth/rate-limit";
import { endOtherSignIns } from "../auth/service";
import { pendingEmailChange, requestEmailChange } from "./email-verification";

/**
 * The account page's own changes (docs/decisions/021): name, e-mail address (verified before it
 * takes effect), password (ends every other sign-in). Changing the address or the password needs
 * the current password, checked under the sign-in budgets, so an unattended open tab cannot take
 * the account over and the form cannot be used to guess.
 */
type SettingsServices = Pick<
  Services,
  "db" | "redis" | "keys" | "config" | "clock" | "mailer" | "logger" | "tokenKeys" | "events"
>;

/** account.profile — what /account shows. */
export async function accountProfile(services: Pick<Services, "db" | "clock">, userId: string) {
  const user = await services.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { id: true, name: true, email: true, role: true, emailVerifiedAt: true, createdAt: true },
  });
  return { ...user, pendingEmail: await pendingEmailChange(services, userId) };
}

/** account.updateName */
export async function updateName(services: Pick<Services, "db">, userId: string, name: string) {
  return services.db.user.update({ where: { id: userId }, data: { name }, select: { id: true, name: true } });
}

async function checkCurrentPassword(services: SettingsServices, userId: string, password: string, ip: string) {
  const user = await services.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { id: true, name: true, email: true, passwordHash: true },
  });
  const attempt = await beginLogin(services, user.email, ip);
  if (!(await verifyPassword(user.passwordHash, password))) {
    throw appError("BAD_REQUEST", Reason.WRONG_PASSWORD, "Your current password is not right.", {
      attempts: attempt.ifFailed,
    });
  }
  await attempt.succeeded();
  return user;
}

/** account.changeEmail — mails a link to the new address; the address changes when it is used. */
export async function changeEmail(
  services: SettingsServices,
  user: SessionUser,
  input: { email: string; currentPassword: string },
  ip: string,
) {
  const account = await checkCurrentPassword(services, user.id, input.currentPassword, ip);
  return requestEmailChange(services, account, input.email);
}

/** account.cancelEmailChange — the link sent to the new address stops working; the address stays. */
export async function cancelEmailChange(services: SettingsServices, user: SessionUser) {
  await voidAddressChange(services, user.id);
  return { pendingEmail: null };
}

/**
 * account.changePassword — sets the new password and ends every other sign-in of the account (this
 * one stays); reset links sent earlier and a pending change of the address stop working.
 */
export async function changePassword(
  services: SettingsServices,
  user: SessionUser,
  input: { currentPassword: string; newPassword: string },
  ip: string,
) {
  await checkCurrentPassword(services, user.id, input.currentPassword, ip);
  const passwordHash = await hashPassword(input.newPassword);
  await services.db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await voidLinksOnPasswordChange(services, user.id, tx);
  });
  const { families } = await endOtherSignIns(services, user.id, user.familyId);
  return { signedOutElsewhere: families };
}
