import { freePort, linkIn, startTestSmtpServer } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import { loadCoreConfig } from "../config";
import { createContext } from "../context";
import { createCaller } from "../root";
import { createTestServices } from "../testing";
import { createMailer } from "./mailer";
import { sendMail } from "./send";

const smtp = await startTestSmtpServer();
afterAll(() => smtp.close());

const APP_URL = "https://classes.example.test/app";

describe("sendMail through SMTP", () => {
  const t = createTestServices({ SMTP_URL: smtp.url, APP_URL, MAIL_FROM: "Livehall <mail@example.test>" });
  afterAll(() => t.close());

  test("a templated mail reaches the SMTP server with a text and an HTML part and absolute links", async () => {
    const delivery = await sendMail(t.services, {
      to: "Reader@Example.test",
      template: { id: "password-reset", params: { name: "Ada <b>", token: "tok-123", minutesValid: 30 } },
    });
    expect(delivery.via).toBe("smtp");
    const mail = await smtp.waitForMail("reader@example.test");
    expect(mail.subject).toBe("Reset your Livehall password");
    expect(mail.from).toBe("mail@example.test");
    const link = linkIn(mail, `${APP_URL}/`);
    expect(link.toString()).toBe(`${APP_URL}/reset-password?token=tok-123`);
    // The HTML carries the same link, and the name is escaped.
    expect(mail.html).toContain(`href="${APP_URL}/reset-password?token=tok-123"`);
    expect(mail.html).toContain("Ada &#60;b&#62;");
    expect(mail.html).not.toContain("Ada <b>");
  });

  test("a server that refuses the connection makes sendMail throw (never dropped silently)", async () => {
    const refusing = { ...t.services.config.mail, smtpUrl: `smtp://127.0.0.1:${await freePort()}` };
    const services = { ...t.services, mailer: createMailer(refusing, t.services) };
    await expect(
      sendMail(services, {
        to: "someone@example.test",
        template: { id: "course-added", params: { courseTitle: "C", instructorName: "I", courseSlug: "c" } },
      }),
    ).rejects.toThrow();
  });
});

describe("sendMail without SMTP_URL", () => {
  const t = createTestServices({ SMTP_URL: "", APP_URL });
  afterAll(() => t.close());
  const as = (role: "ADMIN" | "STUDENT" | "INSTRUCTOR") =>
    createCaller(t.context({ id: crypto.randomUUID(), role, familyId: crypto.randomUUID() }));

  test("keeps the mail in the local outbox table", async () => {
    expect(t.services.mailer.mode).toBe("outbox");
    const delivery = await sendMail(t.services, {
      to: "kept@example.test",
      template: { id: "verify-email", params: { name: "Kim", token: "abc", hoursValid: 24, change: false } },
    });
    expect(delivery.via).toBe("outbox");
    const row = await t.services.db.outboxMail.findUniqueOrThrow({ where: { id: delivery.id } });
    expect(row).toMatchObject({ to: "kept@example.test", template: "verify-email" });
    expect(row.text).toContain(`${APP_URL}/verify-email?token=abc`);
    expect(row.html).toContain(`${APP_URL}/verify-email?token=abc`);

    // /dev/mail's procedure: admins read it; others are refused.
    const outbox = await as("ADMIN").mail.outbox();
    expect(outbox.mode).toBe("outbox");
    expect(outbox.mails.map((mail) => mail.id)).toContain(delivery.id);
    for (const role of ["STUDENT", "INSTRUCTOR"] as const) {
      await expect(as(role).mail.outbox()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
  });

  test("outside development, tests and demo mode the outbox does not exist, even for admins", async () => {
    const config = { ...t.services.config, mail: { ...t.services.config.mail, outboxViewable: false } };
    const admin = createCaller(
      createContext({ ...t.services, config }, { user: { id: crypto.randomUUID(), role: "ADMIN", familyId: "f" } }),
    );
    await expect(admin.mail.outbox()).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("mail configuration", () => {
  const production = { NODE_ENV: "production", AUTH_SECRET: "x".repeat(40), MEDIA_SERVERS: "" };
  test("production needs APP_URL, SMTP_URL (outside demo mode) and its own MAIL_FROM", () => {
    expect(() => loadCoreConfig({ ...production, SMTP_URL: "smtp://mail.example.test" })).toThrow(/APP_URL/);
    expect(() => loadCoreConfig({ ...production, APP_URL: "https://x.test" })).toThrow(/SMTP_URL is not set/);
    expect(() =>
      loadCoreConfig({ ...production, APP_URL: "https://x.test", SMTP_URL: "smtp://mail.example.test" }),
    ).toThrow(/MAIL_FROM/);
    const demo = loadCoreConfig({ ...production, APP_URL: "https://x.test/", DEMO_MODE: "true" });
    expect(demo.mail).toMatchObject({ smtpUrl: null, outboxViewable: true, appUrl: "https://x.test" });
    const real = loadCoreConfig({
      ...production,
      APP_URL: "https://x.test",
      SMTP_URL: "smtps://user:pw@mail.example.test",
      MAIL_FROM: "Classes <classes@x.test>",
    });
    expect(real.mail.outboxViewable).toBe(false);
    expect(() => loadCoreConfig({ SMTP_URL: "http://mail.example.test" })).toThrow(/smtp:\/\//);
  });
});
