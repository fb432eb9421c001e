import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hashPassword } from "../auth/passwords";
import { authenticateRequest } from "../auth/request-auth";
import { createContext, type Context } from "../context";
import { requestOrigin } from "../http-context";
import { NAME_MAX_LENGTH } from "../limits";
import { createCaller } from "../root";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { callOverHttp } from "../testing/http";
import { createTestServices, insertUsers } from "../testing/services";

// No progressive delay here, so the hard limit is reached one failure after another (rate-limit.test.ts tests the delay).
const { services, context, close } = createTestServices({ LOGIN_DELAY_AFTER_FAILURES: "1000" });
afterAll(close);

const ORIGIN = services.config.appOrigins[0]!;
const PASSWORD = "a sturdy password";
let student: { id: string; email: string };

beforeAll(async () => {
  const [inserted] = await insertUsers(services, 1, {
    passwordHash: await hashPassword(PASSWORD),
    emailPrefix: "router",
  });
  student = inserted!;
});

/** A browser-like request context: cookies as transport and an Origin header. */
function browser(resHeaders: Headers, req: Partial<Context["req"]> = {}, user: Context["user"] = null): Context {
  return createContext(services, {
    user,
    resHeaders,
    req: {
      requestId: "t",
      ip: "127.0.5.1",
      userAgent: "test-browser",
      origin: ORIGIN,
      authTransport: "none",
      refreshCookie: null,
      ...req,
    },
  });
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "none", reason: "none", message: "" }),
    (error: { code: string; message: string; cause?: { reason?: string } }) => ({
      code: error.code,
      reason: error.cause?.reason,
      message: error.message,
    }),
  );

describe("auth.signup", () => {
  test("creates a student with a normalised email and signs in by httpOnly cookies", async () => {
    const answer = await callOverHttp({
      path: "auth.signup",
      type: "mutation",
      input: { email: "  New.Person@Example.TEST ", name: " New Person ", password: "long enough pw" },
      context: (headers) => browser(headers),
    });
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({
      user: { email: "new.person@example.test", name: "New Person", role: "STUDENT" },
      tokens: null,
    });
    expect((answer.data as { accessTokenExpiresAt: Date }).accessTokenExpiresAt).toBeInstanceOf(Date);
    const cookies = answer.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    for (const cookie of cookies)
      expect(cookie).toMatch(/^lh_(at|rt)=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
  });

  test("the same email in another case is taken; a short password gets a clear message", async () => {
    const caller = createCaller(context());
    await caller.auth.signup({
      email: "twice@example.test",
      name: "One",
      password: "long enough pw",
      delivery: "body",
    });
    expect(
      await failureOf(caller.auth.signup({ email: "TWICE@example.test", name: "Two", password: "long enough pw" })),
    ).toMatchObject({
      code: "CONFLICT",
      reason: "EMAIL_TAKEN",
    });
    const short = await callOverHttp({
      path: "auth.signup",
      type: "mutation",
      input: { email: "short@example.test", name: "S", password: "short" },
      context: (headers) => browser(headers),
    });
    expect(short.status).toBe(400);
    expect(short.error?.data.zodError).toMatchObject({
      fieldErrors: { password: ["Password must be at least 8 characters."] },
    });
  });
});

describe("auth.signup: the name is plain text on one line", () => {
  for (const [label, name] of [
    ["NUL", "Ada\u0000Lovelace"],
    ["a bell", "Ada\u0007"],
    ["a line break", "Ada\nLovelace"],
    ["a C1 control", "Ada\u0085"],
  ] as const) {
    test(`a name with ${label} is refused with INVALID_INPUT, not a 500`, async () => {
      const answer = await callOverHttp({
        path: "auth.signup",
        type: "mutation",
        input: { email: `control-${label.replace(/\W/g, "")}@example.test`, name, password: "long enough pw" },
        context: (headers) => browser(headers, { ip: "127.0.5.150" }),
      });
      expect(answer.status).toBe(400);
      expect(answer.error?.data).toMatchObject({ reason: "INVALID_INPUT" });
      expect(answer.error?.data.zodError).toMatchObject({
        fieldErrors: { name: ["Your name contains a character that is not allowed."] },
      });
    });
  }
});

describe("auth.signup: messages written for people", () => {
  test("a name one character over the limit is refused with the limit in words", async () => {
    const answer = await callOverHttp({
      path: "auth.signup",
      type: "mutation",
      input: { email: "long-name@example.test", name: "A".repeat(NAME_MAX_LENGTH + 1), password: "long enough pw" },
      context: (headers) => browser(headers, { ip: "127.0.5.151" }),
    });
    expect(answer.status).toBe(400);
    expect(answer.error?.data).toMatchObject({ reason: "INVALID_INPUT" });
    expect(answer.error?.data.zodError).toMatchObject({
      fieldErrors: { name: ["Your name can be at most 100 characters."] },
    });
  });
});

describe("auth.login", () => {
  test("delivery body returns tokens usable as Bearer; auth.me answers the user", async () => {
    const answer = await createCaller(context()).auth.login({
      email: student.email.toUpperCase(),
      password: PASSWORD,
      delivery: "body",
    });
    expect(answer.tokens?.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const auth = await authenticateRequest(services, { authorization: `Bearer ${answer.tokens!.accessToken}` });
    const meAnswer = await createCaller(
      createContext(services, { user: auth.user, accessTokenExpiresAt: auth.accessTokenExpiresAt }),
    ).auth.me();
    expect(meAnswer.user).toMatchObject({ id: student.id, email: student.email, role: "STUDENT" });
    expect(meAnswer.accessTokenExpiresAt?.getTime()).toBe(
      Math.floor(answer.accessTokenExpiresAt.getTime() / 1000) * 1000,
    );
  });

  test("an unknown email and a wrong password get the same answer", async () => {
    const caller = createCaller(context(null, { ip: "127.0.5.7" }));
    const unknown = await failureOf(caller.auth.login({ email: "nobody@example.test", password: PASSWORD }));
    const wrong = await failureOf(caller.auth.login({ email: student.email, password: "not the password" }));
    expect(unknown).toEqual(wrong);
    expect(unknown).toMatchObject({ code: "UNAUTHORIZED", reason: "INVALID_CREDENTIALS" });
  });

  test("after the failures allowed for an account from one IP, even the right password from there is refused with a retry hint", async () => {
    const [target] = await insertUsers(services, 1, {
      passwordHash: await hashPassword(PASSWORD),
      emailPrefix: "limited",
    });
    const caller = createCaller(context(null, { ip: "127.0.5.9" }));
    const failures = await Promise.all(
      Array.from({ length: services.config.limits.login.perAccountAndIp }, () =>
        failureOf(caller.auth.login({ email: target!.email, password: "wrong password" })),
      ),
    );
    expect(failures.every((failure) => failure.reason === "INVALID_CREDENTIALS")).toBe(true);
    const limited = await callOverHttp({
      path: "auth.login",
      type: "mutation",
      input: { email: target!.email, password: PASSWORD },
      context: (headers) => browser(headers, { ip: "127.0.5.9" }),
    });
    expect(limited.status).toBe(429);
    expect(limited.error?.data).toMatchObject({ reason: "RATE_LIMITED" });
    expect(limited.error?.data.retryAfterMs).toBeGreaterThan(0);
  });
});

describe("auth.refresh and auth.logout over cookies", () => {
  test("refresh reads lh_rt, sets new cookies; logout clears them and revokes the family", async () => {
    const signedIn = await createCaller(context()).auth.login({
      email: student.email,
      password: PASSWORD,
      delivery: "body",
    });
    const refreshed = await callOverHttp({
      path: "auth.refresh",
      type: "mutation",
      context: (headers) => browser(headers, { authTransport: "cookie", refreshCookie: signedIn.tokens!.refreshToken }),
    });
    expect(refreshed.status).toBe(200);
    const newRefresh = refreshed.headers
      .getSetCookie()
      .find((cookie) => cookie.startsWith("lh_rt="))!
      .split(";")[0]!
      .slice("lh_rt=".length);
    expect(newRefresh).not.toBe(signedIn.tokens!.refreshToken);

    const loggedOut = await callOverHttp({
      path: "auth.logout",
      type: "mutation",
      context: (headers) => browser(headers, { authTransport: "cookie", refreshCookie: newRefresh }),
    });
    expect(loggedOut.status).toBe(200);
    expect(loggedOut.headers.getSetCookie().every((cookie) => cookie.includes("Max-Age=0"))).toBe(true);
    const again = await callOverHttp({
      path: "auth.refresh",
      type: "mutation",
      context: (headers) => browser(headers, { authTransport: "cookie", refreshCookie: newRefresh }),
    });
    expect(again.error?.data).toMatchObject({ httpStatus: 401, reason: "SESSION_REVOKED" });
  });
});

describe("CSRF: cookie-authenticated mutations need an allowed Origin", () => {
  const user = () => ({ id: student.id, role: "STUDENT" as const, familyId: crypto.randomUUID() });
  const logoutAll = (req: Partial<Context["req"]>) =>
    callOverHttp({ path: "auth.logoutAll", type: "mutation", context: (headers) => browser(headers, req, user()) });

  test("a missing or foreign Origin is refused; the app's own origin and Bearer requests pass", async () => {
    expect((await logoutAll({ authTransport: "cookie", origin: null })).error?.data).toMatchObject({
      httpStatus: 403,
      reason: "CSRF_ORIGIN_REJECTED",
    });
    expect((await logoutAll({ authTransport: "cookie", origin: "https://evil.example" })).error?.data.reason).toBe(
      "CSRF_ORIGIN_REJECTED",
    );
    expect((await logoutAll({ authTransport: "cookie", origin: ORIGIN })).status).toBe(200);
    expect((await logoutAll({ authTransport: "bearer", origin: null })).status).toBe(200);
  });

  test("Origin: null (a sandboxed iframe) is foreign, for sign-in and for cookie requests", async () => {
    const request = new Request("http://localhost/", { headers: { origin: "null", referer: `${ORIGIN}/login` } });
    const origin = requestOrigin({ header: (name) => request.headers.get(name), ip: "127.0.5.1", secure: false });
    const signIn = await callOverHttp({
      path: "auth.login",
      type: "mutation",
      input: { email: student.email, password: PASSWORD },
      context: (headers) => browser(headers, { origin }),
    });
    expect(signIn.error?.data).toMatchObject({ httpStatus: 403, reason: "CSRF_ORIGIN_REJECTED" });
    expect((await logoutAll({ authTransport: "cookie", origin })).error?.data.reason).toBe("CSRF_ORIGIN_REJECTED");
  });

  test("a login posted from a foreign site is refused (login CSRF)", async () => {
    const answer = await callOverHttp({
      path: "auth.login",
      type: "mutation",
      input: { email: student.email, password: PASSWORD },
      context: (headers) => browser(headers, { origin: "https://evil.example" }),
    });
    expect(answer.error?.data.reason).toBe("CSRF_ORIGIN_REJECTED");
  });
});

describe("authorization", () => {
  test("a student cannot run token cleanup; an admin can", async () => {
    const asStudent = await failureOf(
      createCaller(context({ id: student.id, role: "STUDENT", familyId: "f" })).auth.cleanupTokens(),
    );
    expect(asStudent).toMatchObject({ code: "FORBIDDEN", reason: "FORBIDDEN" });
    await expect(
      createCaller(context({ id: student.id, role: "ADMIN", familyId: "f" })).auth.cleanupTokens(),
    ).resolves.toEqual({ expired: 0, revoked: 0 });
  });
});

describe("malformed input never causes a 500", () => {
  const refreshToken = "x".repeat(43);
  const procedures = [
    { path: "auth.signup", valid: { email: "valid@example.test", name: "Valid", password: "a valid password" } },
    { path: "auth.login", valid: { email: "valid@example.test", password: "a valid password" } },
    { path: "auth.refresh", valid: { refreshToken } },
    { path: "auth.logout", valid: { refreshToken } },
    { path: "auth.requestPasswordReset", valid: { email: "valid@example.test" } },
    { path: "auth.resetPassword", valid: { token: refreshToken, password: "a valid password" } },
    { path: "auth.verifyEmail", valid: { token: refreshToken } },
  ];
  for (const { path, valid } of procedures) {
    test(`${path}: wrong types, huge strings, extra fields and arbitrary JSON answer 4xx`, async () => {
      await assertRejectsMalformedInput({ path, type: "mutation", valid, context: () => browser(new Headers()) });
    });
  }
});
