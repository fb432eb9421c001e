import { z } from "zod";
import { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, ROLE_REQUEST_NOTE_MAX_LENGTH } from "../limits";
import {
  accountProfile,
  cancelEmailChange,
  changeEmail,
  changePassword,
  updateName,
} from "../services/account-settings";
import { latestRoleRequest, requestInstructorRole } from "../services/role-requests";
import { authedProcedure, createTRPCRouter } from "../trpc";
import { noInput, withSettingsBudget } from "./settings-budget";
import { email, password, plainText } from "./inputs";

const currentPassword = z
  .string()
  .min(1, { error: "Enter your current password." })
  .max(PASSWORD_MAX_LENGTH, { error: "Your current password is not right." });

export const accountRouter = createTRPCRouter({
  /** What /account shows: name, address (verified or not, and a change waiting for its link). */
  profile: authedProcedure.query(({ ctx }) => accountProfile(ctx, ctx.user.id)),

  updateName: authedProcedure
    .input(
      z.strictObject({
        name: plainText(NAME_MAX_LENGTH, "Your name", { singleLine: true }).min(1, { error: "Enter your name." }),
      }),
    )
    .mutation(({ ctx, input }) => withSettingsBudget(ctx, () => updateName(ctx, ctx.user.id, input.name))),

  /** Mails a link to the new address; the address changes when it is used. Needs the current password. */
  changeEmail: authedProcedure
    .input(z.strictObject({ email, currentPassword }))
    .mutation(({ ctx, input }) => changeEmail(ctx, ctx.user, input, ctx.req.ip)),

  /** The address stays as it is; the link sent to the new one stops working. */
  cancelEmailChange: authedProcedure
    .input(noInput)
    .mutation(({ ctx }) => withSettingsBudget(ctx, () => cancelEmailChange(ctx, ctx.user))),

  /** Needs the current password; every other sign-in of the account ends. */
  changePassword: authedProcedure
    .input(z.strictObject({ currentPassword, newPassword: password }))
    .mutation(({ ctx, input }) => changePassword(ctx, ctx.user, input, ctx.req.ip)),

  /** The user's latest request to teach (pending, approved or declined), or null. */
  roleRequest: authedProcedure.query(({ ctx }) => latestRoleRequest(ctx, ctx.user.id)),

  requestToTeach: authedProcedure
    .input(z.strictObject({ note: plainText(ROLE_REQUEST_NOTE_MAX_LENGTH, "Your note").default("") }))
    .mutation(({ ctx, input }) => requestInstructorRole(ctx, ctx.user, input)),
});
