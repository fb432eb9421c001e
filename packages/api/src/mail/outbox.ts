import type { Services } from "../context";
import { Reason, appError } from "../errors";

/** The most recent mails /dev/mail lists. */
export const OUTBOX_PAGE = 50;

/**
 * mail.outbox — the local outbox for /dev/mail: admins only (the procedure), and only where it is
 * meant to be seen (development, tests, `npm start`'s demo mode); elsewhere it does not exist.
 */
export async function readOutbox(services: Pick<Services, "db" | "config" | "mailer">) {
  if (!services.config.mail.outboxViewable) {
    throw appError("NOT_FOUND", Reason.NOT_FOUND, "There is no such page.");
  }
  const mails = await services.db.outboxMail.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: OUTBOX_PAGE,
    select: { id: true, to: true, from: true, subject: true, template: true, text: true, html: true, createdAt: true },
  });
  return { mode: services.mailer.mode, mails };
}
