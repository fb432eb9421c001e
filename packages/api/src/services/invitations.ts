import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import { hashLinkToken, newLinkToken } from "../auth/email-tokens";
import { sendMailInBackground } from "../mail/send";

/**
 * Mailed invitations to closed courses (docs/decisions/021). An address the instructor adds that
 * has no verified account gets a mail with a link; the link's token (hashed in CourseInvitation)
 * proves the address, so opening it signed in with that address — or signing up through it —
 * verifies the address and completes the enrollment at once.
 */
export type InvitationServices = Pick<Services, "db" | "clock" | "mailer" | "config" | "logger">;

/**
 * Records the invitation with a new link and mails it; returns the address as stored. Adding an
 * invited address again sends a new link (the old one stops working), so a mail that never arrived
 * can be sent again; `mailedAt` is set once the mail server took it.
 */
export async function inviteByMail(
  services: InvitationServices,
  invite: { courseId: string; title: string; instructorName: string; invitedById: string },
  email: string,
): Promise<string> {
  const token = newLinkToken();
  const tokenHash = hashLinkToken(token);
  const [stored] = await services.db.$queryRaw<{ email: string }[]>`
    INSERT INTO "CourseInvitation" ("courseId", email, "invitedById", "createdAt", "tokenHash")
    VALUES (${invite.courseId}::uuid, ${email}::citext, ${invite.invitedById}::uuid, ${services.clock()}, ${tokenHash})
    ON CONFLICT ("courseId", email) DO UPDATE SET "tokenHash" = EXCLUDED."tokenHash", "mailedAt" = NULL
    RETURNING email::text AS email`;
  const to = stored!.email;
  sendMailInBackground(
    services,
    {
      to,
      template: {
        id: "course-invitation",
        params: { courseTitle: invite.title, instructorName: invite.instructorName, token },
      },
    },
    () => services.db.courseInvitation.updateMany({ where: { tokenHash }, data: { mailedAt: services.clock() } }),
  );
  return to;
}

const invitationSelect = {
  email: true,
  course: { select: { id: true, slug: true, title: true, instructor: { select: { name: true } } } },
} as const;

function invalidInvitation() {
  return appError(
    "NOT_FOUND",
    Reason.LINK_INVALID,
    "This invitation doesn't work any more: it was used or withdrawn. Ask the instructor to add you again.",
  );
}

/** course.invitation — what the invitation page shows (the link's holder may see whom it invites). */
export async function invitationByToken(services: Pick<Services, "db">, token: string) {
  const row = await services.db.courseInvitation.findUnique({
    where: { tokenHash: hashLinkToken(token) },
    select: invitationSelect,
  });
  if (!row) throw invalidInvitation();
  return {
    email: row.email,
    courseSlug: row.course.slug,
    courseTitle: row.course.title,
    instructorName: row.course.instructor.name,
  };
}

/**
 * course.acceptInvitation — the signed-in account whose address the invitation was mailed to:
 * the address counts as verified (the link proved it), the account is enrolled and the invitation
 * is used up, in one transaction. Another account is told which address the invitation is for.
 */
export async function acceptInvitation(services: Pick<Services, "db" | "clock">, user: SessionUser, token: string) {
  const now = services.clock();
  return services.db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ courseId: string; email: string; slug: string; mine: boolean }[]>`
      SELECT i."courseId", i.email::text AS email, c.slug, i.email = u.email AS mine
        FROM "CourseInvitation" i JOIN "Course" c ON c.id = i."courseId" JOIN "User" u ON u.id = ${user.id}::uuid
       WHERE i."tokenHash" = ${hashLinkToken(token)}
       FOR UPDATE OF i`;
    if (!row) throw invalidInvitation();
    if (!row.mine) {
      throw appError(
        "FORBIDDEN",
        Reason.INVITATION_FOR_ANOTHER_ADDRESS,
        `This invitation is for ${row.email}. Sign in with that address to accept it.`,
      );
    }
    await tx.user.updateMany({ where: { id: user.id, emailVerifiedAt: null }, data: { emailVerifiedAt: now } });
    await tx.$executeRaw`
      INSERT INTO "Enrollment" ("courseId", "userId", source, "enrolledAt")
      VALUES (${row.courseId}::uuid, ${user.id}::uuid, 'INVITATION', ${now})
      ON CONFLICT ("courseId", "userId") DO NOTHING`;
    await tx.courseInvitation.delete({ where: { courseId_email: { courseId: row.courseId, email: row.email } } });
    return { courseSlug: row.slug };
  });
}

/**
 * Sign-up through an invitation's link: when the token is one mailed to `email`, the new account's
 * address is proved, and the sign-in that follows completes the invitation (claimInvitations).
 */
export async function invitationProvesAddress(services: Pick<Services, "db">, token: string, email: string) {
  const count = await services.db.courseInvitation.count({ where: { tokenHash: hashLinkToken(token), email } });
  return count > 0;
}
