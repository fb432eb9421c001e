import { afterAll, describe, expect, test } from "vitest";
import { hashPassword } from "../auth/passwords";
import { authenticateRequest } from "../auth/request-auth";
import { verifyAccessToken } from "../auth/tokens";
import { createCaller } from "../root";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { createTestServices, insertUsers } from "../testing/services";

const { services, context, close } = createTestServices();
afterAll(close);

const PASSWORD = "correct horse battery";
const passwordHash = await hashPassword(PASSWORD);

const callerOf = (user: { id: string; role: "STUDENT" | "INSTRUCTOR" | "ADMIN" }) =>
  createCaller(context(asSessionUser(user)));
const anonymous = () => createCaller(context(null));
const isBoolean = (value: unknown) => typeof value === "boolean";

async function auditCount(targetUserId: string) {
  return services.db.auditLog.count({ where: { targetUserId } });
}

describe("admin: users", () => {
  test("only admins reach user management and role requests", async () => {
    const [student] = await insertUsers(services, 1);
    const [instructor] = await insertUsers(services, 1, { role: "INSTRUCTOR" });
    const [request] = await services.db.roleRequest.createManyAndReturn({ data: [{ userId: student!.id }] });
    for (const user of [student!, instructor!]) {
      const caller = callerOf(user);
      const forbidden = { code: "FORBIDDEN", cause: { reason: "FORBIDDEN" } };
      await expect(caller.admin.users({})).rejects.toMatchObject(forbidden);
      await expect(caller.admin.setRole({ userId: student!.id, role: "ADMIN" })).rejects.toMatchObject(forbidden);
      await expect(caller.admin.setDisabled({ userId: student!.id, disabled: true })).rejects.toMatchObject(forbidden);
      await expect(caller.admin.auditLog({})).rejects.toMatchObject(forbidden);
      await expect(caller.admin.roleRequests()).rejects.toMatchObject(forbidden);
      await expect(caller.admin.decideRoleRequest({ requestId: request!.id, approve: true })).rejects.toMatchObject(
        forbidden,
      );
    }
    await expect(anonymous().admin.users({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(await services.db.user.findUniqueOrThrow({ where: { id: student!.id } })).toMatchObject({
      role: "STUDENT",
      disabledAt: null,
    });
  });

  test("search by name or e-mail, filter by role and state, and page without gaps or repeats", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const prefix = `paging-${Date.now()}`;
    const users = await insertUsers(services, 12, { emailPrefix: prefix });
    await services.db.user.update({ where: { id: users[0]!.id }, data: { disabledAt: new Date() } });
    const caller = callerOf(admin!);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await caller.admin.users({ search: prefix, limit: 5, cursor });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(users.map((user) => user.id).sort());

    const disabled = await caller.admin.users({ search: prefix, state: "disabled" });
    expect(disabled.items.map((item) => item.id)).toEqual([users[0]!.id]);
    const byName = await caller.admin.users({ search: "Test User 7", role: "STUDENT" });
    expect(byName.items.some((item) => item.email === `${prefix}-7@example.test`)).toBe(true);
    for (const cursor of [
      "not-a-cursor",
      Buffer.from(`${new Date().toISOString()}|${"-".repeat(36)}`).toString("base64url"),
      Buffer.from(`-100000-01-01T00:00:00.000Z|${crypto.randomUUID()}`).toString("base64url"),
    ]) {
      await expect(caller.admin.users({ cursor })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        cause: { reason: "INVALID_INPUT" },
      });
    }
  });

  test("an admin cannot demote or disable themselves", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const caller = callerOf(admin!);
    const own = { code: "FORBIDDEN", cause: { reason: "CANNOT_CHANGE_OWN_ACCOUNT" } };
    await expect(caller.admin.setRole({ userId: admin!.id, role: "STUDENT" })).rejects.toMatchObject(own);
    await expect(caller.admin.setDisabled({ userId: admin!.id, disabled: true })).rejects.toMatchObject(own);
    expect(await services.db.user.findUniqueOrThrow({ where: { id: admin!.id } })).toMatchObject({
      role: "ADMIN",
      disabledAt: null,
    });
    expect(await auditCount(admin!.id)).toBe(0);
  });

  test("two admins demoting each other at once: one wins, the other is refused as the last admin", async () => {
    // The database starts with no other admin, so these two are the only ones.
    await services.db.user.updateMany({ where: { role: "ADMIN" }, data: { role: "INSTRUCTOR" } });
    const [a, b] = await insertUsers(services, 2, { role: "ADMIN" });
    const results = await Promise.allSettled([
      callerOf(a!).admin.setRole({ userId: b!.id, role: "STUDENT" }),
      callerOf(b!).admin.setRole({ userId: a!.id, role: "STUDENT" }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "CONFLICT", cause: { reason: "LAST_ADMIN" } });
    expect(await services.db.user.count({ where: { role: "ADMIN" } })).toBe(1);
    expect(await services.db.auditLog.count({ where: { targetUserId: { in: [a!.id, b!.id] } } })).toBe(1);

    // Disabling the last admin is refused the same way.
    const survivor = (await services.db.user.findFirstOrThrow({ where: { role: "ADMIN" } })) as { id: string };
    const [other] = await insertUsers(services, 1, { role: "ADMIN" });
    await callerOf(survivor as { id: string; role: "ADMIN" }).admin.setDisabled({ userId: other!.id, disabled: true });
    await expect(callerOf(other!).admin.setDisabled({ userId: survivor.id, disabled: true })).rejects.toMatchObject({
      code: "CONFLICT",
      cause: { reason: "LAST_ADMIN" },
    });
  });

  test("concurrent identical edits change the role once and are audited exactly once", async () => {
    const admins = await insertUsers(services, 3, { role: "ADMIN" });
    const [student] = await insertUsers(services, 1);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        callerOf(admins[i % admins.length]!).admin.setRole({ userId: student!.id, role: "INSTRUCTOR" }),
      ),
    );
    expect(results.filter((result) => result.changed)).toHaveLength(1);
    const entries = await callerOf(admins[0]!).admin.auditLog({ userId: student!.id });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: "ROLE_CHANGED",
      fromValue: "STUDENT",
      toValue: "INSTRUCTOR",
      target: { id: student!.id },
    });
    expect(admins.map((admin) => admin.id)).toContain(entries[0]!.actor!.id);

    const toggles = await Promise.all(
      Array.from({ length: 20 }, () => callerOf(admins[1]!).admin.setDisabled({ userId: student!.id, disabled: true })),
    );
    expect(toggles.filter((result) => result.changed)).toHaveLength(1);
    expect(await services.db.auditLog.count({ where: { targetUserId: student!.id, action: "ACCOUNT_DISABLED" } })).toBe(
      1,
    );
  });

  test("disabling ends every sign-in at once and leaves live sessions; enabling lets the user sign in again", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const [student] = await insertUsers(services, 1, { passwordHash });
    const signIn = () => anonymous().auth.login({ email: student!.email, password: PASSWORD, delivery: "body" });
    const first = await signIn();
    const second = await signIn();
    const { session } = await createSessionFixture(services, "LIVE");
    const asStudent = createCaller(context(asSessionUser(student!)));
    await asStudent.session.join({ sessionId: session.id, connectionId: "tab-one-1" });
    const signedIn = await services.db.user.findUniqueOrThrow({ where: { id: student!.id } });
    expect(signedIn.lastSignInAt).not.toBeNull();

    await expect(callerOf(admin!).admin.setDisabled({ userId: student!.id, disabled: true })).resolves.toEqual({
      changed: true,
      disabled: true,
    });

    for (const signInResult of [first, second]) {
      await expect(
        anonymous().auth.refresh({ refreshToken: signInResult.tokens!.refreshToken, delivery: "body" }),
      ).rejects.toMatchObject({ code: "UNAUTHORIZED", cause: { reason: "SESSION_REVOKED" } });
      const verified = await verifyAccessToken(services.tokenKeys, signInResult.tokens!.accessToken, new Date());
      expect(verified.ok).toBe(true);
      if (verified.ok) {
        expect(await services.redis.exists(services.keys.revokedFamily(verified.user.familyId))).toBe(1);
      }
    }
    expect(
      await services.db.sessionParticipant.count({
        where: { sessionId: session.id, userId: student!.id, leftAt: null },
      }),
    ).toBe(0);
    await expect(signIn()).rejects.toMatchObject({ code: "FORBIDDEN", cause: { reason: "ACCOUNT_DISABLED" } });
    // A wrong password says nothing about the account's state.
    await expect(
      anonymous().auth.login({ email: student!.email, password: "wrong password!", delivery: "body" }),
    ).rejects.toMatchObject({ cause: { reason: "INVALID_CREDENTIALS" } });

    await callerOf(admin!).admin.setDisabled({ userId: student!.id, disabled: false });
    await expect(signIn()).resolves.toMatchObject({ user: { id: student!.id } });
    const actions = (await callerOf(admin!).admin.auditLog({ userId: student!.id })).map((entry) => entry.action);
    expect(actions).toEqual(["ACCOUNT_ENABLED", "ACCOUNT_DISABLED"]);
  });

  test("unknown users and malformed input get clear 4xx answers", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    await expect(
      callerOf(admin!).admin.setRole({ userId: crypto.randomUUID(), role: "INSTRUCTOR" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", cause: { reason: "USER_NOT_FOUND" } });
    for (const [path, valid] of [
      ["admin.setRole", { userId: crypto.randomUUID(), role: "INSTRUCTOR" }],
      ["admin.setDisabled", { userId: crypto.randomUUID(), disabled: true }],
      ["admin.decideRoleRequest", { requestId: crypto.randomUUID(), approve: false, message: "" }],
    ] as const) {
      await assertRejectsMalformedInput({
        path,
        type: "mutation",
        valid,
        required: Object.keys(valid).filter((key) => key !== "message"),
        lenient: {
          disabled: isBoolean,
          approve: isBoolean,
          message: (value) => typeof value === "string" && value.length <= 500 && !value.includes("\u0000"),
        },
        extraWrongValues: ["not-a-uuid", "a\u0000b"],
        context: () => context(asSessionUser(admin!)),
      });
    }
  });
});

describe("requests to teach", () => {
  test("a student asks once; admins see it and approve; the role reaches the next access token", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const [student] = await insertUsers(services, 1, { passwordHash });
    const asStudent = callerOf(student!);
    expect(await asStudent.account.roleRequest()).toBeNull();

    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, () => asStudent.account.requestToTeach({ note: "I teach product design." })),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    for (const attempt of attempts.filter((attempt) => attempt.status === "rejected")) {
      expect((attempt as PromiseRejectedResult).reason).toMatchObject({ cause: { reason: "ROLE_REQUEST_PENDING" } });
    }
    expect(await services.db.roleRequest.count({ where: { userId: student!.id } })).toBe(1);

    const pending = await callerOf(admin!).admin.roleRequests();
    const mine = pending.items.find((item) => item.user.id === student!.id);
    expect(mine).toMatchObject({ note: "I teach product design.", status: "PENDING" });
    expect(pending.count).toBeGreaterThanOrEqual(1);

    const signedIn = await anonymous().auth.login({ email: student!.email, password: PASSWORD, delivery: "body" });
    const decisions = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        callerOf(admin!).admin.decideRoleRequest({ requestId: mine!.id, approve: true, message: "Welcome!" }),
      ),
    );
    expect(decisions.filter((decision) => decision.status === "fulfilled")).toHaveLength(1);
    for (const decision of decisions.filter((decision) => decision.status === "rejected")) {
      expect((decision as PromiseRejectedResult).reason).toMatchObject({ cause: { reason: "ROLE_REQUEST_DECIDED" } });
    }
    expect(await asStudent.account.roleRequest()).toMatchObject({ status: "APPROVED", decisionMessage: "Welcome!" });
    expect(await services.db.auditLog.count({ where: { targetUserId: student!.id } })).toBe(1);

    // No sign-out: the access token from before the approval is stale, so the next request refreshes
    // (a page load does it from the refresh cookie) and carries the new role.
    await expect(
      authenticateRequest(services, { authorization: `Bearer ${signedIn.tokens!.accessToken}` }),
    ).resolves.toMatchObject({ user: null, error: "ACCESS_TOKEN_EXPIRED" });
    const pageLoad = await authenticateRequest(services, {
      cookie: `lh_at=${signedIn.tokens!.accessToken}; lh_rt=${signedIn.tokens!.refreshToken}`,
    });
    expect(pageLoad).toMatchObject({ user: { id: student!.id, role: "INSTRUCTOR" }, error: null });
    const refreshed = await anonymous().auth.refresh({
      refreshToken: signedIn.tokens!.refreshToken,
      delivery: "body",
    });
    const verified = await verifyAccessToken(services.tokenKeys, refreshed.tokens!.accessToken, new Date());
    expect(verified.ok && verified.user.role).toBe("INSTRUCTOR");

    await expect(asStudent.account.requestToTeach({ note: "again" })).rejects.toMatchObject({
      code: "CONFLICT",
      cause: { reason: "ALREADY_INSTRUCTOR" },
    });
  });

  test("a declined student sees the message and may ask again only a day later", async () => {
    const [admin] = await insertUsers(services, 1, { role: "ADMIN" });
    const [student] = await insertUsers(services, 1);
    const request = await callerOf(student!).account.requestToTeach({ note: "" });
    await callerOf(admin!).admin.decideRoleRequest({
      requestId: request.id,
      approve: false,
      message: "Please add a course outline.",
    });
    expect(await callerOf(student!).account.roleRequest()).toMatchObject({
      status: "DECLINED",
      decisionMessage: "Please add a course outline.",
    });
    expect((await services.db.user.findUniqueOrThrow({ where: { id: student!.id } })).role).toBe("STUDENT");
    await expect(callerOf(student!).account.requestToTeach({ note: "Outline attached" })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      cause: { reason: "ROLE_REQUEST_TOO_SOON" },
    });
    await services.db.roleRequest.update({
      where: { id: request.id },
      data: { decidedAt: new Date(Date.now() - 25 * 60 * 60 * 1000) },
    });
    await expect(callerOf(student!).account.requestToTeach({ note: "Outline attached" })).resolves.toMatchObject({
      status: "PENDING",
    });
  });

  test("notes are plain text with a limit", async () => {
    const [student] = await insertUsers(services, 1);
    await expect(callerOf(student!).account.requestToTeach({ note: "x".repeat(501) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(callerOf(student!).account.requestToTeach({ note: "a\u0000b" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await services.db.roleRequest.count({ where: { userId: student!.id } })).toBe(0);
  });
});
