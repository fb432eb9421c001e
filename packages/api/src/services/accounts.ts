import { type Prisma, type Db } from "@livehall/db";
import type { Role, Services, SessionUser } from "../context";
import { markAccessTokensStale } from "../auth/revocation";
import { endEverySignIn } from "../auth/service";
import { Reason, appError } from "../errors";
import { isCursorTime } from "../limits";
import { leaveAllSessions } from "./participants";

/**
 * Accounts an admin manages: roles, disabling, and the audit log that records every change.
 *
 * Every change to who is an admin (a role change, disabling, approving a request to teach) runs in
 * one transaction under one advisory lock, so "never demote or disable the last admin" holds however
 * many admins act at once, and a change that finds the account already in the asked state writes
 * nothing: concurrent identical edits leave exactly one audit entry.
 */

type AccountServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock">;
type Tx = Prisma.TransactionClient;
export type Admin = Pick<SessionUser, "id">;

const ACCOUNT_CHANGES_LOCK = "accounts:roles";

/** Serializes every account change in `tx` (role, disabled state, role-request decisions). */
export async function lockAccountChanges(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${ACCOUNT_CHANGES_LOCK}, 0))`;
}

export function accountTransaction<T>(db: Db, body: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    await lockAccountChanges(tx);
    return body(tx);
  });
}

async function lockedTarget(tx: Tx, userId: string) {
  const [user] = await tx.$queryRaw<{ id: string; role: Role; disabledAt: Date | null }[]>`
    SELECT id, role, "disabledAt" FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
  if (!user) throw appError("NOT_FOUND", Reason.USER_NOT_FOUND, "This account does not exist.");
  return user;
}

/** Refuses a change that would leave no admin able to sign in. */
async function assertAnotherAdminRemains(tx: Tx, userId: string): Promise<void> {
  const others = await tx.user.count({ where: { role: "ADMIN", disabledAt: null, id: { not: userId } } });
  if (others === 0) {
    throw appError("CONFLICT", Reason.LAST_ADMIN, "This is the last admin. Make someone else an admin first.");
  }
}

export function writeAudit(
  tx: Tx,
  entry: {
    actorId: string;
    targetUserId: string;
    action: Prisma.AuditLogCreateManyInput["action"];
    fromValue: string | null;
    toValue: string | null;
    at: Date;
  },
) {
  return tx.auditLog.create({
    data: {
      actorId: entry.actorId,
      targetUserId: entry.targetUserId,
      action: entry.action,
      fromValue: entry.fromValue,
      toValue: entry.toValue,
      createdAt: entry.at,
    },
  });
}

/** Changes a user's role; their open pages and API clients pick it up at their next request (a refresh). */
export async function setRole(
  services: AccountServices,
  admin: Admin,
  input: { userId: string; role: Role },
): Promise<{ changed: boolean; role: Role }> {
  if (input.userId === admin.id) {
    throw appError("FORBIDDEN", Reason.CANNOT_CHANGE_OWN_ACCOUNT, "You cannot change your own role.");
  }
  const result = await accountTransaction(services.db, async (tx) => {
    const user = await lockedTarget(tx, input.userId);
    if (user.role === input.role) return { changed: false, role: user.role };
    if (user.role === "ADMIN" && user.disabledAt === null) await assertAnotherAdminRemains(tx, user.id);
    await tx.user.update({ where: { id: user.id }, data: { role: input.role } });
    await writeAudit(tx, {
      actorId: admin.id,
      targetUserId: user.id,
      action: "ROLE_CHANGED",
      fromValue: user.role,
      toValue: input.role,
      at: services.clock(),
    });
    return { changed: true, role: input.role };
  });
  if (result.changed) await markAccessTokensStale(services, input.userId, services.clock());
  return result;
}

/**
 * Disables or enables an account. Answers whether the state changed: the caller then ends every
 * sign-in of a newly disabled user (they cannot be ended inside this transaction: Redis is not in it).
 */
export async function setDisabled(
  services: AccountServices,
  admin: Admin,
  input: { userId: string; disabled: boolean },
): Promise<{ changed: boolean }> {
  if (input.userId === admin.id) {
    throw appError("FORBIDDEN", Reason.CANNOT_CHANGE_OWN_ACCOUNT, "You cannot disable your own account.");
  }
  return accountTransaction(services.db, async (tx) => {
    const user = await lockedTarget(tx, input.userId);
    if ((user.disabledAt !== null) === input.disabled) return { changed: false };
    if (input.disabled && user.role === "ADMIN") await assertAnotherAdminRemains(tx, user.id);
    const now = services.clock();
    await tx.user.update({ where: { id: user.id }, data: { disabledAt: input.disabled ? now : null } });
    await writeAudit(tx, {
      actorId: admin.id,
      targetUserId: user.id,
      action: input.disabled ? "ACCOUNT_DISABLED" : "ACCOUNT_ENABLED",
      fromValue: input.disabled ? "enabled" : "disabled",
      toValue: input.disabled ? "disabled" : "enabled",
      at: now,
    });
    return { changed: true };
  });
}

/**
 * admin.users.setDisabled: disabling ends every sign-in of the user at once (refresh families and
 * their access tokens, as logout-all does) and takes them out of every live session.
 */
export async function changeAccountState(
  services: Services,
  admin: Admin,
  input: { userId: string; disabled: boolean },
): Promise<{ changed: boolean; disabled: boolean }> {
  const { changed } = await setDisabled(services, admin, input);
  // Also when unchanged: a retry after a failure between the commit and here finishes the job.
  if (input.disabled) {
    await endEverySignIn(services, input.userId, "ADMIN");
    await leaveAllSessions(services, input.userId);
  }
  return { changed, disabled: input.disabled };
}

export const USER_PAGE_SIZE = 25;

export interface UserListInput {
  search?: string | undefined;
  role?: Role | undefined;
  state?: "active" | "disabled" | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

const userRowSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  disabledAt: true,
  lastSignInAt: true,
  createdAt: true,
} satisfies Prisma.UserSelect;

function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString("base64url");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const createdAt = new Date(at ?? "");
  if (!id || !UUID.test(id) || !isCursorTime(createdAt)) {
    throw appError(
      "BAD_REQUEST",
      Reason.INVALID_INPUT,
      "This page link is not valid any more. Start from the first page.",
    );
  }
  return { createdAt, id };
}

function userFilter(input: UserListInput, after: { createdAt: Date; id: string } | null): Prisma.UserWhereInput {
  const conditions: Prisma.UserWhereInput[] = [];
  if (input.role) conditions.push({ role: input.role });
  if (input.state === "disabled") conditions.push({ disabledAt: { not: null } });
  if (input.state === "active") conditions.push({ disabledAt: null });
  if (input.search) {
    conditions.push({
      OR: [
        { name: { contains: input.search, mode: "insensitive" } },
        { email: { contains: input.search, mode: "insensitive" } },
      ],
    });
  }
  if (after) {
    conditions.push({
      OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
    });
  }
  return { AND: conditions };
}

/** Users, newest first, found by name or e-mail; keyset-paged so pages never skip or repeat. */
export async function listUsers(services: Pick<Services, "db">, input: UserListInput) {
  const limit = input.limit ?? USER_PAGE_SIZE;
  const rows = await services.db.user.findMany({
    where: userFilter(input, input.cursor ? decodeCursor(input.cursor) : null),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: userRowSelect,
  });
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
}

export const AUDIT_PAGE_SIZE = 50;

/** The audit log, newest first: who changed what, when, from which value to which. */
export async function auditLog(
  services: Pick<Services, "db">,
  input: { userId?: string | undefined; limit?: number | undefined },
) {
  return services.db.auditLog.findMany({
    where: input.userId ? { targetUserId: input.userId } : {},
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit ?? AUDIT_PAGE_SIZE,
    select: {
      id: true,
      action: true,
      fromValue: true,
      toValue: true,
      createdAt: true,
      actor: { select: { id: true, name: true, email: true } },
      target: { select: { id: true, name: true, email: true } },
    },
  });
}
