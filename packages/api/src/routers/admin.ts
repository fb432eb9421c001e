import { z } from "zod";
import { JOB_NAMES } from "../jobs/definitions";
import { ROLE_REQUEST_MESSAGE_MAX_LENGTH, SEARCH_MAX_LENGTH } from "../limits";
import {
  AUDIT_PAGE_SIZE,
  USER_PAGE_SIZE,
  auditLog,
  changeAccountState,
  listUsers,
  setRole,
} from "../services/accounts";
import { adminOverview } from "../services/admin";
import { mediaServersStatus } from "../services/media-status";
import { decideRoleRequest, pendingRoleRequests } from "../services/role-requests";
import { adminProcedure, createTRPCRouter } from "../trpc";
import { plainText } from "./inputs";

const role = z.enum(["STUDENT", "INSTRUCTOR", "ADMIN"]);
const userId = z.uuid();

export const adminRouter = createTRPCRouter({
  overview: adminProcedure.input(z.strictObject({}).optional()).query(({ ctx }) => adminOverview(ctx)),

  /** Each media server: up or down, its rooms (with their sessions) and its connections. */
  mediaServers: adminProcedure
    .input(z.strictObject({}).optional())
    .query(({ ctx }) => mediaServersStatus(ctx, { detail: true })),

  /** Runs a maintenance job now through the worker; answers within RUN_JOB_TIMEOUT_MS. */
  runJob: adminProcedure
    .input(z.strictObject({ name: z.enum(JOB_NAMES) }))
    .mutation(async ({ ctx, input }) => ({ name: input.name, counts: await ctx.jobs.run(input.name) })),

  users: adminProcedure
    .input(
      z.strictObject({
        search: plainText(SEARCH_MAX_LENGTH, "Search").optional(),
        role: role.optional(),
        state: z.enum(["active", "disabled"]).optional(),
        cursor: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(100).default(USER_PAGE_SIZE),
      }),
    )
    .query(({ ctx, input }) => listUsers(ctx, input)),

  setRole: adminProcedure
    .input(z.strictObject({ userId, role }))
    .mutation(({ ctx, input }) => setRole(ctx, ctx.user, input)),

  setDisabled: adminProcedure
    .input(z.strictObject({ userId, disabled: z.boolean() }))
    .mutation(({ ctx, input }) => changeAccountState(ctx, ctx.user, input)),

  auditLog: adminProcedure
    .input(
      z.strictObject({ userId: userId.optional(), limit: z.number().int().min(1).max(200).default(AUDIT_PAGE_SIZE) }),
    )
    .query(({ ctx, input }) => auditLog(ctx, input)),

  roleRequests: adminProcedure
    .input(z.strictObject({ limit: z.number().int().min(1).max(100).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => pendingRoleRequests(ctx, input)),

  decideRoleRequest: adminProcedure
    .input(
      z.strictObject({
        requestId: z.uuid(),
        approve: z.boolean(),
        message: plainText(ROLE_REQUEST_MESSAGE_MAX_LENGTH, "Your message").default(""),
      }),
    )
    .mutation(({ ctx, input }) => decideRoleRequest(ctx, ctx.user, input)),
});
