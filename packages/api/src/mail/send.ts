import type { Services } from "../context";
import { mailMetrics } from "../metrics";
import { mailLinks } from "./layout";
import type { Delivery } from "./mailer";
import { renderTemplate, type MailTemplate } from "./templates";

export type MailServices = Pick<Services, "mailer" | "config" | "logger">;

/**
 * Renders `template` and hands it to SMTP or the local outbox; resolves once it was accepted there,
 * and throws (after logging and counting) when it was not, so no mail is lost silently.
 */
export async function sendMail(
  services: MailServices,
  { to, template }: { to: string; template: MailTemplate },
): Promise<Delivery> {
  const rendered = renderTemplate(template, mailLinks(services.config.mail.appUrl));
  try {
    const delivery = await services.mailer.deliver({ ...rendered, to, template: template.id });
    mailMetrics.sent.inc({ template: template.id, via: delivery.via });
    return delivery;
  } catch (error) {
    mailMetrics.failed.inc({ template: template.id });
    services.logger.error({ err: error, to, template: template.id }, "mail could not be sent");
    throw error;
  }
}

/**
 * For mails sent after the answer (so the answer's timing says nothing about the address): the
 * failure is logged and counted by sendMail, never thrown into nothing. `afterSent` runs once the
 * mail server took the mail (to record it).
 */
export function sendMailInBackground(
  services: MailServices,
  mail: { to: string; template: MailTemplate } | (() => Promise<{ to: string; template: MailTemplate } | null>),
  afterSent?: () => Promise<unknown>,
): void {
  void (async () => {
    const message = typeof mail === "function" ? await mail() : mail;
    if (!message) return;
    await sendMail(services, message);
    await afterSent?.();
  })().catch((error: unknown) => services.logger.error({ err: error }, "background mail failed"));
}
