import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { waitFor } from "./wait";

/** A mail the test SMTP server accepted, parsed. */
export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:<port> — what SMTP_URL is set to. */
  url: string;
  received: ReceivedMail[];
  /** Addresses the server refuses (550 to RCPT TO) while they are in the set. */
  refusing: Set<string>;
  /** Every address refused so far, in order. */
  refused: string[];
  /** Waits for the first mail to `address` (optionally matching `subject`) that arrived after `since` mails. */
  waitForMail(address: string, options?: { subject?: RegExp; since?: number }): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free loopback port (the `smtp-server` package): it accepts every mail
 * without authentication or TLS and keeps it, parsed, for the test to read — except to the
 * addresses in `refusing`, which it refuses as a real server refuses a mailbox.
 */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const refusing = new Set<string>();
  const refused: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(rcpt, _session, callback) {
      const address = rcpt.address.toLowerCase();
      if (!refusing.has(address)) return callback();
      refused.push(address);
      callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refusing,
    refused,
    async waitForMail(address, { subject, since = 0 } = {}) {
      const matches = (mail: ReceivedMail) =>
        mail.to.includes(address.toLowerCase()) && (!subject || subject.test(mail.subject));
      await waitFor(() => received.slice(since).some(matches), { what: `a mail to ${address}` });
      return received.slice(since).find(matches)!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link in a mail's text that starts with `prefix` (the app's public address plus a path). */
export function linkIn(mail: Pick<ReceivedMail, "text">, prefix: string): URL {
  const found = mail.text.split(/\s+/).find((word) => word.startsWith(prefix));
  if (!found) throw new Error(`no link starting with ${prefix} in the mail:\n${mail.text}`);
  return new URL(found);
}
