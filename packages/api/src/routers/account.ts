import { z } from "zod";
import { ROLE_REQUEST_NOTE_MAX_LENGTH } from "../limits";
import { latestRoleRequest, requestInstructorRole } from "../services/role-requests";
import { authedProcedure, createTRPCRouter } from "../trpc";
import { plainText } from "./inputs";

export const accountRouter = createTRPCRouter({
  /** The user's latest request to teach (pending, approved or declined), or null. */
  roleRequest: authedProcedure.query(({ ctx }) => latestRoleRequest(ctx, ctx.user.id)),

  requestToTeach: authedProcedure
    .input(z.strictObject({ note: plainText(ROLE_REQUEST_NOTE_MAX_LENGTH, "Your note").default("") }))
    .mutation(({ ctx, input }) => requestInstructorRole(ctx, ctx.user, input)),
});
