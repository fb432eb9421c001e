import nodemailer, { type Transporter } from "nodemailer";
import type { Db } from "@livehall/db";
import type { MailConfig } from "../config";
import type { Logger } from "../logger";
import type { RenderedMail } from "./layout";

/**
 * The one module that speaks SMTP (nodemailer). With SMTP_URL a message is handed to that server;
 * without it, it is kept in the local outbox (the OutboxMail table, shared by the web and the
 * worker) and the log says where to read it. Never dropped: a failure is thrown to the caller.
 */
export interface Mailer {
  readonly mode: "smtp" | "outbox";
  deliver(message: OutgoingMail): Promise<Delivery>;
  close(): Promise<void>;
}

export interface OutgoingMail extends RenderedMail {
  to: string;
  /** The template it was made from (outbox and metrics). */
  template: string;
}

export interface Delivery {
  via: "smtp" | "outbox";
  /** The SMTP message id, or the outbox row's id. */
  id: string;
}

/** A slow or silent mail server must not hold a request (or a job) for nodemailer's minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export function createMailer(config: MailConfig, deps: { db: Db; logger: Logger }): Mailer {
  if (config.smtpUrl) return smtpMailer(config.smtpUrl, config.from);
  return outboxMailer(config, deps);
}

function smtpMailer(url: string, from: string): Mailer {
  let transport: Transporter | null = null;
  return {
    mode: "smtp",
    async deliver(message) {
      // Pooled and created on first use: a process that sends nothing opens no connection.
      transport ??= nodemailer.createTransport({ url, pool: true, maxConnections: 2, ...SMTP_TIMEOUTS });
      const info = await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      return { via: "smtp", id: info.messageId };
    },
    async close() {
      transport?.close();
      transport = null;
    },
  };
}

function outboxMailer(config: MailConfig, deps: { db: Db; logger: Logger }): Mailer {
  return {
    mode: "outbox",
    async deliver(message) {
      const row = await deps.db.outboxMail.create({
        data: {
          to: message.to,
          from: config.from,
          subject: message.subject,
          template: message.template,
          text: message.text,
          html: message.html,
        },
        select: { id: true },
      });
      // The body holds single-use links: only the address and where to read it are logged.
      deps.logger.info(
        { to: message.to, template: message.template },
        `mail to ${message.to} kept in the local outbox: ${config.appUrl}/dev/mail`,
      );
      return { via: "outbox", id: row.id };
    },
    async close() {},
  };
}
