import { linkIn, startTestSmtpServer, waitFor } from "@livehall/testing";
import { TRPCClientError } from "@trpc/client";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { issueEmailToken } from "../auth/email-tokens";
import { hashPassword } from "../auth/passwords";
import { AuthSession, createApiClient, type ApiClient } from "../client";
import { reasonOf } from "../errors";
import { authCounters } from "../metrics";
import { createCaller } from "../root";
import { createSessionFixture, enrollUsers } from "../testing/fixtures";
import { createTestServices, insertUsers } from "../testing/services";
import { startApiServer } from "../testing/standalone-server";

/**
 * Verification, password reset, account changes and invitations, end to end over tRPC's HTTP path
 * with mail delivered to a real SMTP server (docs/decisions/021).
 */
const smtp = await startTestSmtpServer();
const APP_URL = "http://livehall.test:4000";
const { services, context, close } = createTestServices({
  SMTP_URL: smtp.url,
  APP_URL,
  MAIL_FROM: "Livehall <classes@livehall.test>",
  EMAIL_VERIFY_RATE_POINTS: "2",
  INVITE_MAIL_RATE_POINTS: "5",
  PASSWORD_RESET_PER_ADDRESS: "3",
  PASSWORD_RESET_PER_IP: "8",
  // No progressive sign-in delay: the old-password check below fails once and should not wait.
  LOGIN_DELAY_AFTER_FAILURES: "1000",
});
let server: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  server = await startApiServer(services);
});
afterAll(async () => {
  await server.close();
  await close();
  await smtp.close();
});

const PASSWORD = "the first password";
const NEW_PASSWORD = "a brand new password";

/** The answer's reason (over HTTP: the error data; in-process: the error's cause), or "ok". */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    if (error instanceof TRPCClientError) return String((error.data as { reason?: string } | undefined)?.reason);
    if (error instanceof TRPCError) return reasonOf(error);
    throw error;
  }
}

/** A client from "another IP" (X-Forwarded-For from loopback is trusted), without a sign-in. */
const anonymous = (ip = "198.51.100.7") =>
  createApiClient({ url: server.url, headers: () => ({ "x-forwarded-for": ip }) });

/** A Bearer sign-in of its own (one device). */
async function signIn(email: string, password: string): Promise<{ client: ApiClient; session: AuthSession }> {
  const session = new AuthSession({ url: server.url, delivery: "body", maxRefreshAttempts: 1 });
  session.update(await anonymous().auth.login.mutate({ email, password, delivery: "body" }));
  return { client: createApiClient({ url: server.url, session, maxAttempts: 1 }), session };
}

const tokenOf = (url: URL) => url.searchParams.get("token")!;

describe("e-mail verification", () => {
  test("sign-up mails a working link; it verifies once; then it says used", async () => {
    const email = `new-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const since = smtp.received.length;
    const session = new AuthSession({ url: server.url, delivery: "body" });
    session.update(
      await anonymous().auth.signup.mutate({ email, name: "Nia New", password: PASSWORD, delivery: "body" }),
    );
    const client = createApiClient({ url: server.url, session });
    expect((await client.auth.me.query()).user.emailVerifiedAt).toBeNull();

    const mail = await smtp.waitForMail(email, { since, subject: /Confirm your e-mail/ });
    expect(mail.from).toBe("classes@livehall.test");
    const link = linkIn(mail, `${APP_URL}/verify-email?`);
    expect(mail.html).toContain(link.toString().replace(/&/g, "&#38;"));
    const token = tokenOf(link);
    expect(await anonymous().auth.linkState.query({ token, purpose: "verify-email" })).toEqual({ state: "valid" });
    // The link is not a reset link.
    expect(await anonymous().auth.linkState.query({ token, purpose: "reset-password" })).toEqual({ state: "invalid" });

    await expect(anonymous().auth.verifyEmail.mutate({ token })).resolves.toMatchObject({ email });
    expect((await client.auth.me.query()).user.emailVerifiedAt).toBeInstanceOf(Date);
    expect(await outcome(anonymous().auth.verifyEmail.mutate({ token }))).toBe("LINK_USED");
    expect(await anonymous().auth.linkState.query({ token, purpose: "verify-email" })).toEqual({ state: "used" });
    // Verified: nothing to resend.
    await expect(client.auth.resendVerification.mutate()).resolves.toMatchObject({ sent: false });
  });

  test("an expired link says so; resend mails a new one within the user's budget, then RATE_LIMITED", async () => {
    const [user] = await insertUsers(services, 1, {
      passwordHash: await hashPassword(PASSWORD),
      emailPrefix: "unverified",
      verified: false,
    });
    const expired = await issueEmailToken(services, {
      userId: user!.id,
      purpose: "VERIFY_EMAIL",
      email: user!.email,
      ttlMs: -1,
    });
    expect(await outcome(anonymous().auth.verifyEmail.mutate({ token: expired }))).toBe("LINK_EXPIRED");
    expect(await outcome(anonymous().auth.verifyEmail.mutate({ token: "x".repeat(43) }))).toBe("LINK_INVALID");
    expect(await outcome(anonymous().auth.verifyEmail.mutate({ token: "short" }))).toBe("INVALID_INPUT");

    const { client } = await signIn(user!.email, PASSWORD);
    const since = smtp.received.length;
    expect(await outcome(client.auth.resendVerification.mutate())).toBe("ok");
    expect(await outcome(client.auth.resendVerification.mutate())).toBe("ok");
    expect(await outcome(client.auth.resendVerification.mutate())).toBe("RATE_LIMITED");
    await smtp.waitForMail(user!.email, { since });
    expect(smtp.received.slice(since).filter((mail) => mail.to.includes(user!.email))).toHaveLength(2);
  });
});

describe("password reset", () => {
  test("the same answer for an unknown address; the mailed link sets a new password once, and every sign-in ends", async () => {
    const [user] = await insertUsers(services, 1, {
      passwordHash: await hashPassword(PASSWORD),
      emailPrefix: "forgot",
    });
    const email = user!.email;
    const phone = await signIn(email, PASSWORD);
    const laptop = await signIn(email, PASSWORD);

    const since = smtp.received.length;
    const unknown = await anonymous().auth.requestPasswordReset.mutate({ email: "nobody@example.test" });
    const known = await anonymous().auth.requestPasswordReset.mutate({ email: email.toUpperCase() });
    expect(known).toEqual(unknown);
    const mail = await smtp.waitForMail(email, { since, subject: /Reset your Livehall password/ });
    const token = tokenOf(linkIn(mail, `${APP_URL}/reset-password?`));
    expect(await anonymous().auth.linkState.query({ token, purpose: "reset-password" })).toEqual({ state: "valid" });

    // Two uses at once (a double click, two tabs): exactly one sets the password (either may win).
    const tried = [NEW_PASSWORD, "another new password"];
    const results = await Promise.all(
      tried.map((password) => outcome(anonymous().auth.resetPassword.mutate({ token, password }))),
    );
    expect([...results].sort()).toEqual(["LINK_USED", "ok"]);
    const chosen = tried[results.indexOf("ok")]!;
    expect(await anonymous().auth.linkState.query({ token, purpose: "reset-password" })).toEqual({ state: "used" });
    // A used or made-up link is refused before any argon2 run (a flood of them costs index reads only).
    const hashes = async () =>
      (await authCounters.passwordHashes.get()).values.find((v) => v.labels.operation === "hash")?.value ?? 0;
    const before = await hashes();
    for (const link of [token, "y".repeat(43)])
      expect(await outcome(anonymous().auth.resetPassword.mutate({ token: link, password: NEW_PASSWORD }))).toMatch(
        /LINK_(USED|INVALID)/,
      );
    expect(await hashes()).toBe(before);

    // The old password is gone, the new one works, and both earlier sign-ins ended at once.
    expect(await outcome(anonymous().auth.login.mutate({ email, password: PASSWORD, delivery: "body" }))).toBe(
      "INVALID_CREDENTIALS",
    );
    expect(await outcome(signIn(email, chosen))).toBe("ok");
    expect(await outcome(phone.client.auth.me.query())).toBe("SESSION_REVOKED");
    await laptop.session.refresh().catch(() => undefined);
    expect(laptop.session.signedOut).toBe("SESSION_REVOKED");
    // Nothing was mailed to the unknown address.
    expect(smtp.received.slice(since).flatMap((m) => m.to)).not.toContain("nobody@example.test");
  });

  test("rate-limited per address (known or not: the same answer) and per IP", async () => {
    const [user] = await insertUsers(services, 1, { emailPrefix: "limited" });
    const fromIp = (ip: string) => createCaller(context(null, { ip })).auth.requestPasswordReset;
    for (const [n, address] of [user!.email, "ghost@example.test"].entries()) {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await outcome(fromIp(`127.0.7.${n}`)({ email: address })));
      expect(answers, address).toEqual(["ok", "ok", "ok", "RATE_LIMITED"]);
    }
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await outcome(fromIp("127.0.7.99")({ email: `spray-${i}@example.test` })));
    expect(answers).toEqual([...Array<string>(8).fill("ok"), "RATE_LIMITED"]);
  });
});

describe("the account page's changes", () => {
  test("changing the password needs the current one and ends every other sign-in, not this one", async () => {
    const [user] = await insertUsers(services, 1, {
      passwordHash: await hashPassword(PASSWORD),
      emailPrefix: "change",
    });
    const here = await signIn(user!.email, PASSWORD);
    const elsewhere = await signIn(user!.email, PASSWORD);
    expect(
      await outcome(
        here.client.account.changePassword.mutate({ currentPassword: "wrong!", newPassword: NEW_PASSWORD }),
      ),
    ).toBe("WRONG_PASSWORD");
    await expect(
      here.client.account.changePassword.mutate({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    ).resolves.toEqual({ signedOutElsewhere: 1 });
    expect(await outcome(here.client.auth.me.query())).toBe("ok");
    expect(await outcome(elsewhere.client.auth.me.query())).toBe("SESSION_REVOKED");
    expect(await outcome(signIn(user!.email, NEW_PASSWORD))).toBe("ok");
  });

  test("a new address takes effect only when the link mailed to it is used", async () => {
    const [user] = await insertUsers(services, 1, { passwordHash: await hashPassword(PASSWORD), emailPrefix: "mover" });
    const { client } = await signIn(user!.email, PASSWORD);
    const next = `moved-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const since = smtp.received.length;
    await expect(client.account.changeEmail.mutate({ email: next, currentPassword: PASSWORD })).resolves.toEqual({
      pendingEmail: next,
    });
    expect(await client.account.profile.query()).toMatchObject({ email: user!.email, pendingEmail: next });
    const mail = await smtp.waitForMail(next, { since, subject: /new Livehall e-mail/ });
    await anonymous().auth.verifyEmail.mutate({ token: tokenOf(linkIn(mail, `${APP_URL}/verify-email?`)) });
    expect(await client.account.profile.query()).toMatchObject({ email: next, pendingEmail: null });
    // An address another account uses is refused up front.
    const [taken] = await insertUsers(services, 1, { emailPrefix: "taken" });
    expect(await outcome(client.account.changeEmail.mutate({ email: taken!.email, currentPassword: PASSWORD }))).toBe(
      "EMAIL_TAKEN",
    );
  });
});

describe("a pending address change and a new password", () => {
  test("a reset voids a pending change of address (an intruder's change link stops working), a sign-up link to the account's own address stays", async () => {
    const [user] = await insertUsers(services, 1, { passwordHash: await hashPassword(PASSWORD), emailPrefix: "owner" });
    const intruder = await signIn(user!.email, PASSWORD);
    const theirs = `intruder-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const since = smtp.received.length;
    await intruder.client.account.changeEmail.mutate({ email: theirs, currentPassword: PASSWORD });
    const changeLink = tokenOf(
      linkIn(await smtp.waitForMail(theirs, { since, subject: /new Livehall e-mail/ }), `${APP_URL}/verify-email?`),
    );
    const ownLink = await issueEmailToken(services, {
      userId: user!.id,
      purpose: "VERIFY_EMAIL",
      email: user!.email,
      ttlMs: 3_600_000,
    });

    // The owner notices and resets the password.
    await anonymous().auth.requestPasswordReset.mutate({ email: user!.email });
    const reset = await smtp.waitForMail(user!.email, { since, subject: /Reset your Livehall password/ });
    await anonymous().auth.resetPassword.mutate({
      token: tokenOf(linkIn(reset, `${APP_URL}/reset-password?`)),
      password: NEW_PASSWORD,
    });
    expect(await outcome(anonymous().auth.verifyEmail.mutate({ token: changeLink }))).toBe("LINK_USED");
    expect(await services.db.user.findUniqueOrThrow({ where: { id: user!.id }, select: { email: true } })).toEqual({
      email: user!.email,
    });
    expect(await anonymous().auth.linkState.query({ token: ownLink, purpose: "verify-email" })).toEqual({
      state: "valid",
    });
  });

  test("a change can be called off: the link to the new address stops working, the address stays", async () => {
    const [user] = await insertUsers(services, 1, { passwordHash: await hashPassword(PASSWORD), emailPrefix: "undo" });
    const { client } = await signIn(user!.email, PASSWORD);
    const again = `second-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const before = smtp.received.length;
    await client.account.changeEmail.mutate({ email: again, currentPassword: PASSWORD });
    const secondLink = tokenOf(
      linkIn(
        await smtp.waitForMail(again, { since: before, subject: /new Livehall e-mail/ }),
        `${APP_URL}/verify-email?`,
      ),
    );
    await expect(client.account.cancelEmailChange.mutate()).resolves.toEqual({ pendingEmail: null });
    expect(await client.account.profile.query()).toMatchObject({ email: user!.email, pendingEmail: null });
    expect(await outcome(anonymous().auth.verifyEmail.mutate({ token: secondLink }))).toBe("LINK_USED");
  });
});

describe("invitations to closed courses", () => {
  test("an unknown address gets a mailed link; signing up through it proves the address and enrolls", async () => {
    const fixture = await createSessionFixture(services);
    await services.db.course.update({ where: { id: fixture.course.id }, data: { enrollmentPolicy: "CLOSED" } });
    const instructor = createCaller(context(fixture.instructor));
    const invited = `invited-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const since = smtp.received.length;
    expect(await instructor.course.addStudents({ courseId: fixture.course.id, emails: [invited] })).toMatchObject({
      invited: [invited],
    });
    const first = tokenOf(
      linkIn(await smtp.waitForMail(invited, { since, subject: /invited you/ }), `${APP_URL}/invitation?`),
    );
    // Adding again mails a new link; the first stops working.
    const again = smtp.received.length;
    await instructor.course.addStudents({ courseId: fixture.course.id, emails: [invited] });
    const mail = await smtp.waitForMail(invited, { since: again, subject: /invited you/ });
    const token = tokenOf(linkIn(mail, `${APP_URL}/invitation?`));
    expect(await outcome(anonymous().course.invitation.query({ token: first }))).toBe("LINK_INVALID");
    expect(await anonymous().course.invitation.query({ token })).toMatchObject({ email: invited });

    const answer = await anonymous().auth.signup.mutate({
      email: invited,
      name: "Ivy Invited",
      password: PASSWORD,
      delivery: "body",
      invitation: token,
    });
    expect(answer.user.emailVerifiedAt).toBeInstanceOf(Date);
    expect(
      await services.db.enrollment.findFirst({ where: { courseId: fixture.course.id, userId: answer.user.id } }),
    ).toMatchObject({ source: "INVITATION" });
    expect(await outcome(anonymous().course.invitation.query({ token }))).toBe("LINK_INVALID");
    expect(smtp.received.slice(since).filter((m) => m.to.includes(invited))).toHaveLength(2);
  });

  test("an invitation the mail server refused is sent again, with a working link, when the address is added again", async () => {
    const fixture = await createSessionFixture(services);
    const instructor = createCaller(context(fixture.instructor));
    const invited = `bounced-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const row = () =>
      services.db.courseInvitation.findUniqueOrThrow({
        where: { courseId_email: { courseId: fixture.course.id, email: invited } },
      });
    smtp.refusing.add(invited);
    try {
      await instructor.course.addStudents({ courseId: fixture.course.id, emails: [invited] });
      await waitFor(() => smtp.refused.includes(invited), { what: "the refused invitation" });
    } finally {
      smtp.refusing.delete(invited);
    }
    expect((await row()).mailedAt).toBeNull();

    const since = smtp.received.length;
    expect(await instructor.course.addStudents({ courseId: fixture.course.id, emails: [invited] })).toMatchObject({
      invited: [invited],
    });
    const token = tokenOf(linkIn(await smtp.waitForMail(invited, { since }), `${APP_URL}/invitation?`));
    expect(await anonymous().course.invitation.query({ token })).toMatchObject({ email: invited });
    await waitFor(async () => (await row()).mailedAt !== null, { what: "the invitation marked as mailed" });
  });

  test("invitation mails come from the instructor's budget, all or none, however many calls arrive at once", async () => {
    const fixture = await createSessionFixture(services);
    const courseId = fixture.course.id;
    const instructor = createCaller(context(fixture.instructor));
    const tag = crypto.randomUUID().slice(0, 8);
    const address = (n: number) => `budget-${tag}-${n}@example.test`;
    const [member] = await insertUsers(services, 1, { emailPrefix: `budget-${tag}-member` });
    await enrollUsers(services, courseId, [member!]);

    // A budget of 5 (INVITE_MAIL_RATE_POINTS) and four calls of two addresses at once: two fit.
    const calls = await Promise.all(
      [0, 1, 2, 3].map((n) =>
        outcome(instructor.course.addStudents({ courseId, emails: [address(2 * n), address(2 * n + 1)] })),
      ),
    );
    expect(calls.filter((answer) => answer === "ok")).toHaveLength(2);
    expect(calls.filter((answer) => answer === "RATE_LIMITED")).toHaveLength(2);
    expect(await services.db.courseInvitation.count({ where: { courseId } })).toBe(4);

    // Two more do not fit the one left: nothing is added, and the answer says when to try again.
    const refused = await instructor.course.addStudents({ courseId, emails: [address(8), address(9)] }).then(
      () => null,
      (error: unknown) => error as TRPCError,
    );
    expect(refused && reasonOf(refused)).toBe("RATE_LIMITED");
    expect(refused!.message).toContain("you can send 1 more");
    expect((refused!.cause as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
    expect(await services.db.courseInvitation.count({ where: { courseId } })).toBe(4);

    // Someone already enrolled costs nothing; sending an invitation again costs one, the last.
    const invitedAlready = (await services.db.courseInvitation.findFirstOrThrow({ where: { courseId } })).email;
    expect(await instructor.course.addStudents({ courseId, emails: [member!.email] })).toMatchObject({
      already: [member!.email],
    });
    expect(await instructor.course.addStudents({ courseId, emails: [invitedAlready] })).toMatchObject({
      invited: [invitedAlready],
    });
    expect(await outcome(instructor.course.addStudents({ courseId, emails: [address(10)] }))).toBe("RATE_LIMITED");

    const invitationsTo = () =>
      smtp.received.filter((mail) => /invited you/.test(mail.subject) && mail.to.some((to) => to.includes(tag)));
    await waitFor(() => invitationsTo().length >= 5, { what: "five invitation mails" });
    expect(invitationsTo()).toHaveLength(5);
  });

  test("an unverified account is invited, not enrolled; the link enrolls it only when signed in with that address", async () => {
    const fixture = await createSessionFixture(services);
    const [squatter, other] = await insertUsers(services, 2, {
      passwordHash: await hashPassword(PASSWORD),
      emailPrefix: "unproved",
      verified: false,
    });
    const instructor = createCaller(context(fixture.instructor));
    const since = smtp.received.length;
    expect(await instructor.course.addStudents({ courseId: fixture.course.id, emails: [squatter!.email] })).toEqual({
      enrolled: [],
      already: [],
      invited: [squatter!.email],
    });
    // Signing in with an unproved address completes nothing.
    const squatterSignIn = await signIn(squatter!.email, PASSWORD);
    expect(await services.db.enrollment.count({ where: { courseId: fixture.course.id } })).toBe(0);

    const token = tokenOf(linkIn(await smtp.waitForMail(squatter!.email, { since }), `${APP_URL}/invitation?`));
    const otherSignIn = await signIn(other!.email, PASSWORD);
    expect(await outcome(otherSignIn.client.course.acceptInvitation.mutate({ token }))).toBe(
      "INVITATION_FOR_ANOTHER_ADDRESS",
    );
    await expect(squatterSignIn.client.course.acceptInvitation.mutate({ token })).resolves.toEqual({
      courseSlug: expect.any(String),
    });
    expect(await services.db.enrollment.count({ where: { courseId: fixture.course.id, userId: squatter!.id } })).toBe(
      1,
    );
    expect((await squatterSignIn.client.auth.me.query()).user.emailVerifiedAt).toBeInstanceOf(Date);
  });
});
