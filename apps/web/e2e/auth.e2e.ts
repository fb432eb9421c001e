import { createHash, randomBytes } from "node:crypto";
import { NAME_MAX_LENGTH } from "@livehall/api/limits";
import { hashPassword, insertUsers } from "@livehall/api/testing";
import { freePort, waitFor } from "@livehall/testing";
import { describe, expect, test } from "vitest";
import { createCaller, createContext } from "@livehall/api";
import { TIME_ZONE_COOKIE } from "../app/lib/time-zone";
import { e2eSuite, expectNoProblems, pathOf, screenshot, seriousViolations, signIn, visit } from "./harness";
import { signInThroughApi } from "./room-helpers";

const suite = e2eSuite(async () => {
  // No progressive delay: the sign-in pause below is reached by failures one after another (this
  // file runs in its own process; startE2E reads process.env).
  process.env.LOGIN_DELAY_AFTER_FAILURES = "1000";
  // Links in mails start with APP_URL: this server's own address.
  const port = await freePort();
  return { port, env: { APP_URL: `http://127.0.0.1:${port}` } };
});

const PASSWORD = "a long enough password";

describe("sign-up, sign-out and sign-in in the browser", () => {
  test("sign up lands on /sessions signed in; sign out; sign in again returns to the page the user came from", async () => {
    const page = await suite.e2e.newPage();
    await visit(page, "/signup");
    await page.getByLabel("Name").fill("Grace Hopper");
    await page.getByLabel("Email").fill("grace@example.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();

    await page.waitForURL((url) => url.pathname === "/sessions");
    expect(pathOf(page)).toBe("/sessions");
    await expect.poll(() => page.getByTestId("signed-in-user").first().textContent()).toContain("Grace Hopper");
    // The credentials; the time-zone hint (no secret, written by the page itself) is not one of them.
    const cookies = (await page.context().cookies()).filter((cookie) => cookie.name !== TIME_ZONE_COOKIE);
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(["lh_at", "lh_rt"]);
    expect(cookies.every((cookie) => cookie.httpOnly)).toBe(true);

    // The user moves to the ended tab, then signs out from there.
    await page.getByRole("tab", { name: "Ended" }).click();
    await page.waitForURL((url) => url.search === "?tab=ended");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    expect(pathOf(page)).toBe(`/login?${new URLSearchParams({ redirectTo: "/sessions?tab=ended" })}`);
    // No credential is left; the time-zone hint stays (it is the browser's, not the account's).
    expect((await page.context().cookies()).map((cookie) => cookie.name)).toEqual([TIME_ZONE_COOKIE]);
    await expect.poll(() => page.getByTestId("signed-in-user").count()).toBe(0);

    // Signing in again goes back to where the user was.
    await page.getByLabel("Email").fill("GRACE@example.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/sessions");
    expect(pathOf(page)).toBe("/sessions?tab=ended");
    expect(await page.getByRole("tab", { name: "Ended" }).getAttribute("aria-selected")).toBe("true");
    await expect.poll(() => page.getByTestId("signed-in-user").first().textContent()).toContain("Grace Hopper");
    expectNoProblems(page);
  });

  test("an anonymous visitor's Sign in link carries the page (redirectTo) and signing in lands back there", async () => {
    const page = await suite.e2e.newPage();
    await visit(page, "/sessions?tab=live");
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    expect(new URL(page.url()).searchParams.get("redirectTo")).toBe("/sessions?tab=live");
    await page.getByLabel("Email").fill("student@livehall.dev");
    await page.getByLabel("Password").fill("livehall-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/sessions");
    expect(pathOf(page)).toBe("/sessions?tab=live");
    await expect.poll(() => page.getByTestId("signed-in-user").first().textContent()).toContain("Sam Student");

    // Signed in, /login and /signup send the user on instead of showing the form.
    await visit(page, "/login?redirectTo=%2Fsessions%3Ftab%3Dupcoming");
    expect(pathOf(page)).toBe("/sessions?tab=upcoming");
    await visit(page, "/signup");
    expect(pathOf(page)).toBe("/sessions");
    expectNoProblems(page);
  });

  test("redirectTo never leaves the site (the cases are unit-tested in app/lib/redirect.test.ts)", async () => {
    const page = await suite.e2e.newPage();
    await signIn(
      page,
      "student@livehall.dev",
      "livehall-demo",
      `/login?${new URLSearchParams({ redirectTo: "//evil.example/path" })}`,
    );
    expect(new URL(page.url()).origin).toBe(suite.e2e.url);
    expect(pathOf(page)).toBe("/sessions");
  });

  test("sign-in shows the API's reasons inline, with a pending state while it is sent", async () => {
    const page = await suite.e2e.newPage();
    await visit(page, "/login");

    // Empty fields: an error on each, the first invalid field focused.
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByText("Enter your email address.").isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("email");

    // A wrong password: INVALID_CREDENTIALS as one alert for the form; the email is kept. The answer is
    // held back a moment to see the pending state.
    await page.route("**/login.data*", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    await page.getByLabel("Email").fill("student@livehall.dev");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const pendingButton = page.getByRole("button", { name: "Signing in…" });
    await pendingButton.waitFor();
    expect(await pendingButton.getAttribute("aria-disabled")).toBe("true");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("don't match an account");
    expect(await page.getByLabel("Email").inputValue()).toBe("student@livehall.dev");
    expect(pathOf(page)).toBe("/login");
    expectNoProblems(page);
  });

  test("too many failed sign-ins show RATE_LIMITED with a retry hint", async () => {
    const email = "rate-limited@livehall.dev";
    // Ten failures for this email from this machine (the limit per account and IP), made through the API.
    const anonymous = createCaller(createContext(suite.e2e.server.services));
    for (let attempt = 0; attempt < 10; attempt++) {
      await anonymous.auth.login({ email, password: `wrong ${attempt}` }).catch(() => undefined);
    }
    const page = await suite.e2e.newPage();
    await visit(page, "/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("one more try");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Too many failed sign-ins\. Try again in \d+ (seconds?|minutes?)\.$/);
    expectNoProblems(page);
  });

  test("sign-up shows field errors from the API's validation and EMAIL_TAKEN", async () => {
    const page = await suite.e2e.newPage();
    await visit(page, "/signup");
    // The browser stops at the API's limit (one definition: @livehall/api/limits).
    expect(await page.getByLabel("Name").getAttribute("maxlength")).toBe(String(NAME_MAX_LENGTH));
    await page.getByLabel("Name").fill("   ");
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();

    await expect.poll(() => page.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByText("Enter your name.").isVisible()).toBe(true);
    expect(await page.getByText("Enter a valid email address.").isVisible()).toBe(true);
    expect(await page.getByText("Password must be at least 8 characters.").isVisible()).toBe(true);
    // Each error is read with its field.
    const describedBy = await page.getByLabel("Password").getAttribute("aria-describedby");
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toContain("at least 8 characters");

    await page.getByLabel("Name").fill("Another Student");
    await page.getByLabel("Email").fill("student@livehall.dev");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("An account with this email already exists.").waitFor();
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("link", { name: "Sign in with this email" }).isVisible()).toBe(true);
    expect(pathOf(page)).toBe("/signup");
    expectNoProblems(page);
  });

  test("the forms work without JavaScript", async () => {
    const page = await suite.e2e.newPage({ javaScriptEnabled: false });
    await page.goto(`/login?${new URLSearchParams({ redirectTo: "/sessions?tab=upcoming" })}`);
    await page.getByLabel("Email").fill("student@livehall.dev");
    await page.getByLabel("Password").fill("livehall-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/sessions");
    expect(pathOf(page)).toBe("/sessions?tab=upcoming");
    expect(await page.getByTestId("signed-in-user").first().textContent()).toContain("Sam Student");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    expect(await page.context().cookies()).toEqual([]);
  });
});

describe("forgotten password, through the mailed link", () => {
  /** The newest mail of `template` to `to` in the local outbox (no SMTP_URL here), once it is there. */
  const mailTo = (to: string, template: string) =>
    waitFor(
      () =>
        suite.e2e.server.services.db.outboxMail.findFirst({ where: { to, template }, orderBy: { createdAt: "desc" } }),
      {
        what: `the ${template} mail to ${to}`,
      },
    );

  test("reset ends the old password and every other sign-in; the used and an expired link show clear pages", async () => {
    const [user] = await insertUsers(suite.e2e.server.services, 1, {
      passwordHash: await hashPassword(PASSWORD),
      emailPrefix: "forgetful",
    });
    const email = user!.email;
    // Signed in elsewhere: a browser through the form, and one through the API.
    const elsewhere = await suite.e2e.newPage();
    await signIn(elsewhere, email, PASSWORD);
    const api = await suite.e2e.newPage();
    await signInThroughApi(api, suite.e2e.url, email, PASSWORD);

    const page = await suite.e2e.newPage();
    await visit(page, "/login");
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.waitForURL((url) => url.pathname === "/forgot-password");
    await page.getByLabel("Email").fill(email);
    for (const width of [390, 1280]) await screenshot(page, "forgot-password", width);
    expect(await seriousViolations(page, "/forgot-password")).toEqual([]);
    await page.getByRole("button", { name: "Send me a reset link" }).click();
    await page.getByText("Check your inbox").waitFor();
    for (const width of [390, 1280]) await screenshot(page, "forgot-password-sent", width);
    expect(await seriousViolations(page, "/forgot-password (sent)")).toEqual([]);

    const mail = await mailTo(email, "password-reset");
    const link = /https?:\/\/\S+\/reset-password\?token=[\w-]+/.exec(mail.text)![0];
    expect(link.startsWith(`${suite.e2e.url}/reset-password?`)).toBe(true);
    await visit(page, link);
    await page.getByLabel("New password", { exact: true }).fill("my new password");
    await page.getByLabel("New password again").fill("not the same");
    await page.getByRole("button", { name: "Save my new password" }).click();
    await page.getByText("The two passwords are not the same.").waitFor();
    await page.getByLabel("New password", { exact: true }).fill("my new password");
    await page.getByLabel("New password again").fill("my new password");
    for (const width of [390, 1280]) await screenshot(page, "reset-password", width);
    expect(await seriousViolations(page, "/reset-password")).toEqual([]);
    await page.getByRole("button", { name: "Save my new password" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    await page.getByText("Your password was changed and every device was signed out.").waitFor();

    // The old password is refused; the new one works.
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("That email and password don't match an account.").waitFor();
    await signIn(page, email, "my new password");
    expect(pathOf(page)).toBe("/sessions");

    // The other sign-ins ended: the browser's next page is signed out, the API's cookie is refused.
    await visit(elsewhere, "/sessions");
    expect(await elsewhere.getByTestId("signed-in-user").count()).toBe(0);
    const me = await api.context().request.get(`${suite.e2e.url}/api/trpc/auth.me`);
    expect(me.status()).toBe(401);

    // The same link again: already used.
    await visit(page, link);
    await page.getByText("This link was already used").first().waitFor();
    for (const width of [390, 1280]) await screenshot(page, "reset-password-used", width);
    expect(await seriousViolations(page, "/reset-password (used)")).toEqual([]);
    await page.getByRole("link", { name: "Ask for a new link" }).waitFor();

    // An expired one: a link whose 30 minutes are over.
    const expired = randomBytes(32).toString("base64url");
    await suite.e2e.server.services.db.emailToken.create({
      data: {
        userId: user!.id,
        purpose: "RESET_PASSWORD",
        email,
        tokenHash: createHash("sha256").update(expired).digest("hex"),
        expiresAt: new Date(Date.now() - 60_000),
      },
    });
    await visit(page, `/reset-password?token=${expired}`);
    await page.getByText("This link has expired").first().waitFor();
    for (const width of [390, 1280]) await screenshot(page, "reset-password-expired", width);
    expect(await seriousViolations(page, "/reset-password (expired)")).toEqual([]);
    expectNoProblems(page);
  });

  test("/dev/mail shows admins the local outbox; /account shows the account; others get 403", async () => {
    const admin = await suite.e2e.newPage();
    await signIn(admin, "admin@livehall.dev");
    // An older mail with a long subject and address: the list must still fit a phone.
    await suite.e2e.server.services.db.outboxMail.create({
      data: {
        to: `someone-with-a-long-address-${"x".repeat(40)}@example.test`,
        from: "Livehall <no-reply@livehall.localhost>",
        subject: `Starting in 15 minutes: “${"A class with a long title ".repeat(4).trim()}”`,
        template: "session-reminder",
        text: "A reminder.",
        html: "<p>A reminder.</p>",
        createdAt: new Date(Date.now() - 60_000),
      },
    });
    await visit(admin, "/dev/mail");
    await admin.getByRole("heading", { name: "Mail outbox" }).waitFor();
    await admin.getByTestId("outbox-list").getByText("Reset your Livehall password").first().waitFor();
    expect(await admin.getByTestId("outbox-text").textContent()).toContain("/reset-password?token=");
    for (const width of [390, 1280]) await screenshot(admin, "dev-mail", width);
    expect(await seriousViolations(admin, "/dev/mail")).toEqual([]);
    // The mail as HTML, on a page of its own.
    const [html] = await Promise.all([
      admin.context().waitForEvent("page"),
      admin.getByRole("link", { name: "Open the HTML version" }).click(),
    ]);
    await html.getByRole("heading", { name: "Reset your password" }).waitFor();
    for (const width of [390, 1280]) await screenshot(html, "mail-password-reset", width);
    await html.close();

    const student = await suite.e2e.newPage();
    await signIn(student, "student@livehall.dev");
    expect((await student.goto("/dev/mail"))?.status()).toBe(403);
    await visit(student, "/account");
    await student.getByRole("heading", { level: 1, name: "Account" }).waitFor();
    await student.getByTestId("account-email").getByText("Confirmed").waitFor();
    for (const width of [390, 1280]) await screenshot(student, "account", width);
    expect(await seriousViolations(student, "/account")).toEqual([]);
    // The account's name in the header leads here.
    await visit(student, "/sessions");
    await student.getByRole("link", { name: /your account/ }).click();
    await student.waitForURL((url) => url.pathname === "/account");
    expectNoProblems(student);
  });

  test("a closed course's mailed invitation: sign up through it, confirmed and enrolled; the confirmation link of a sign-up", async () => {
    // The instructor adds an address without an account: it is mailed an invitation.
    const { services } = suite.e2e.server;
    const course = await services.db.course.findUniqueOrThrow({ where: { slug: "staff-engineering-circle" } });
    const instructor = { id: course.instructorId, role: "INSTRUCTOR" as const, familyId: crypto.randomUUID() };
    const invited = "ines@example.test";
    await createCaller(createContext(services, { user: instructor })).course.addStudents({
      courseId: course.id,
      emails: [invited],
    });
    const invitation = await mailTo(invited, "course-invitation");
    const link = /https?:\/\/\S+\/invitation\?token=[\w-]+/.exec(invitation.text)![0];
    const page = await suite.e2e.newPage();
    await visit(page, link);
    await page.getByRole("heading", { name: "You're invited to Staff Engineering Circle" }).waitFor();
    await screenshot(page, "invitation", 390);
    expect(await seriousViolations(page, "/invitation")).toEqual([]);
    await page.getByRole("link", { name: "Create my account" }).click();
    await page.waitForURL((url) => url.pathname === "/signup");
    expect(await page.getByLabel("Email").inputValue()).toBe(invited);
    await page.getByLabel("Name").fill("Ines Invited");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL((url) => url.pathname === "/courses/staff-engineering-circle");
    const ines = await services.db.user.findUniqueOrThrow({ where: { email: invited } });
    expect(ines.emailVerifiedAt).not.toBeNull();
    expect(await services.db.enrollment.count({ where: { courseId: course.id, userId: ines.id } })).toBe(1);

    // A plain sign-up is mailed a confirmation link; its page confirms with one button.
    const signup = await suite.e2e.server.client().auth.signup.mutate({
      email: "cora@example.test",
      name: "Cora Confirm",
      password: PASSWORD,
      delivery: "body",
    });
    expect(signup.user.emailVerifiedAt).toBeNull();
    expect(await page.getByTestId("confirm-address-notice").count()).toBe(0);
    const cora = await suite.e2e.newPage();
    await signIn(cora, "cora@example.test", PASSWORD);
    await cora.getByTestId("confirm-address-notice").getByText("Confirm your e-mail address").waitFor();
    await screenshot(cora, "confirm-address-notice", 390);
    expect(await seriousViolations(cora, "/sessions (address not confirmed)")).toEqual([]);
    const confirmation = await mailTo("cora@example.test", "verify-email");
    await visit(page, /https?:\/\/\S+\/verify-email\?token=[\w-]+/.exec(confirmation.text)![0]);
    await page.getByRole("button", { name: "Confirm my address" }).click();
    await page.getByRole("heading", { name: "Your address is confirmed" }).waitFor();
    await screenshot(page, "verify-email-confirmed", 390);
    expect(
      (await services.db.user.findUniqueOrThrow({ where: { email: "cora@example.test" } })).emailVerifiedAt,
    ).not.toBeNull();
    await visit(cora, "/sessions");
    expect(await cora.getByTestId("confirm-address-notice").count()).toBe(0);
    expectNoProblems(page);
  });
});
