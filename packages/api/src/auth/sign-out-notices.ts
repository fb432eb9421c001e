import type { Services } from "../context";
import { type Reason } from "../errors";

/**
 * When sign-ins end (sign-out, sign-out everywhere, a disabled account, a stolen token), the user's
 * open event streams of those sign-ins end too, on every web instance, with the reason: their tabs
 * show the sign-out at once instead of at their next request.
 */
export interface SignOutNotice {
  familyIds: string[];
  reason: SignOutReason;
}

export type SignOutReason =
  typeof Reason.SESSION_REVOKED | typeof Reason.ACCOUNT_DISABLED | typeof Reason.REFRESH_TOKEN_REUSED;

export const signOutChannel = (userId: string) => `user:${userId}:sign-out`;

export async function announceSignOut(
  services: Pick<Services, "events" | "logger">,
  userId: string,
  notice: SignOutNotice,
): Promise<void> {
  // The sign-in is already ended in Postgres and Redis; a lost notice only delays the tabs until
  // their next request.
  await services.events.publish(signOutChannel(userId), notice).catch((error: unknown) => {
    services.logger.warn({ err: error, userId }, "sign-out notice not published");
  });
}

/** Whether a notice ends a stream opened by the sign-in `familyId`. */
export function endsSignIn(notice: SignOutNotice, familyId: string): boolean {
  return notice.familyIds.includes(familyId);
}
