import { Prisma } from "@livehall/db";
import type { Services, SessionUser } from "../context";
import { markAccessTokensStale } from "../auth/revocation";
import { Reason, appError } from "../errors";
import { accountTransaction, writeAudit, type Admin } from "./accounts";

/**
 * "Teach on Livehall": a student asks for the instructor role with a short note; an admin approves
 * or declines it with an optional message. One pending request per user (a partial unique index);
 * after a decline the user may ask again a day later, so a request is not a way to nag admins.
 */

type RoleRequestServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock">;

const ASK_AGAIN_AFTER_MS = 24 * 60 * 60 * 1000;

const requestSelect = {
  id: true,
  note: true,
  status: true,
  decisionMessage: true,
  createdAt: true,
  decidedAt: true,
} satisfies Prisma.RoleRequestSelect;

/** The user's latest request, whatever its state (what the account menu and /teach's 403 show). */
export function latestRoleRequest(services: Pick<Services, "db">, userId: string) {
  return services.db.roleRequest.findFirst({
    where: { userId },
    orderBy: { createdAt: "desc" },
    select: requestSelect,
  });
}

export async function requestInstructorRole(
  services: RoleRequestServices,
  user: Pick<SessionUser, "id">,
  input: { note: string },
) {
  const now = services.clock();
  const account = await services.db.user.findUnique({ where: { id: user.id }, select: { role: true } });
  if (!account) throw appError("NOT_FOUND", Reason.USER_NOT_FOUND, "This account does not exist.");
  if (account.role !== "STUDENT") {
    throw appError("CONFLICT", Reason.ALREADY_INSTRUCTOR, "You can already teach on Livehall.");
  }
  const latest = await latestRoleRequest(services, user.id);
  if (latest?.status === "PENDING") {
    throw appError("CONFLICT", Reason.ROLE_REQUEST_PENDING, "Your request is waiting for an admin.");
  }
  if (latest?.decidedAt && now.getTime() - latest.decidedAt.getTime() < ASK_AGAIN_AFTER_MS) {
    throw appError(
      "TOO_MANY_REQUESTS",
      Reason.ROLE_REQUEST_TOO_SOON,
      "You can ask again one day after the last answer.",
      {
        retryAfterMs: ASK_AGAIN_AFTER_MS - (now.getTime() - latest.decidedAt.getTime()),
      },
    );
  }
  try {
    return await services.db.roleRequest.create({
      data: { userId: user.id, note: input.note, createdAt: now },
      select: requestSelect,
    });
  } catch (error) {
    // Two requests at once: the partial unique index keeps one.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw appError("CONFLICT", Reason.ROLE_REQUEST_PENDING, "Your request is waiting for an admin.");
    }
    throw error;
  }
}

/** Pending requests, oldest first (the order admins should answer them in), and how many there are. */
export async function pendingRoleRequests(services: Pick<Services, "db">, input: { limit: number }) {
  const [items, count] = await Promise.all([
    services.db.roleRequest.findMany({
      where: { status: "PENDING" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: input.limit,
      select: { ...requestSelect, user: { select: { id: true, name: true, email: true, createdAt: true } } },
    }),
    services.db.roleRequest.count({ where: { status: "PENDING" } }),
  ]);
  return { items, count };
}

/** Approves (the user becomes an instructor) or declines a pending request; each decision is audited once. */
export async function decideRoleRequest(
  services: RoleRequestServices,
  admin: Admin,
  input: { requestId: string; approve: boolean; message: string },
) {
  const decided = await accountTransaction(services.db, async (tx) => {
    const [request] = await tx.$queryRaw<{ id: string; userId: string; status: string }[]>`
      SELECT id, "userId", status FROM "RoleRequest" WHERE id = ${input.requestId}::uuid FOR UPDATE`;
    if (!request) throw appError("NOT_FOUND", Reason.ROLE_REQUEST_NOT_FOUND, "This request does not exist.");
    if (request.status !== "PENDING") {
      throw appError("CONFLICT", Reason.ROLE_REQUEST_DECIDED, "This request has already been answered.");
    }
    const now = services.clock();
    const user = await tx.user.findUniqueOrThrow({ where: { id: request.userId }, select: { role: true } });
    // An admin may have changed the role meanwhile: never demote an admin through a request.
    const promote = input.approve && user.role === "STUDENT";
    if (promote) await tx.user.update({ where: { id: request.userId }, data: { role: "INSTRUCTOR" } });
    await tx.roleRequest.update({
      where: { id: request.id },
      data: {
        status: input.approve ? "APPROVED" : "DECLINED",
        decidedById: admin.id,
        decidedAt: now,
        decisionMessage: input.message || null,
      },
    });
    await writeAudit(tx, {
      actorId: admin.id,
      targetUserId: request.userId,
      action: input.approve ? "ROLE_REQUEST_APPROVED" : "ROLE_REQUEST_DECLINED",
      fromValue: user.role,
      toValue: promote ? "INSTRUCTOR" : user.role,
      at: now,
    });
    return {
      status: input.approve ? ("APPROVED" as const) : ("DECLINED" as const),
      userId: promote ? request.userId : null,
    };
  });
  // The new instructor's open pages get the role at their next request, without signing out.
  if (decided.userId) await markAccessTokensStale(services, decided.userId, services.clock());
  return { status: decided.status };
}
