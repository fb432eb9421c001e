import { z } from "zod";
import { authCookies, clearedAuthCookies } from "../auth/cookies";
import { cookieOptions } from "../auth/request-auth";
import * as auth from "../auth/service";
import type { Context } from "../context";
import { isLoopbackAddress } from "../http-context";
import { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH } from "../limits";
import { Reason, appError } from "../errors";
import { leaveAllSessions } from "../services/participants";
import { email, linkToken, password, plainText } from "./inputs";
import { resendVerification, verificationLinkState, verifyEmail } from "../services/email-verification";
import { requestPasswordReset, resetLinkState, resetPassword } from "../services/password-reset";
import { adminProcedure, authedProcedure, createTRPCRouter, publicProcedure } from "../trpc";

/** cookie: httpOnly cookies for browsers; body: tokens in the answer for API clients (Bearer). */
const delivery = z.enum(["cookie", "body"]).default("cookie");
const refreshToken = z.string().min(16).max(512);

let warnedPlainHttp = false;

/** Answers an auth call: cookies or tokens in the body, and always when the access token expires. */
function deliver(ctx: Context, tokens: auth.IssuedTokens, mode: "cookie" | "body") {
  if (mode === "cookie") {
    // Works (the cookies follow the scheme), but the tokens cross the network in the clear: say so once.
    if (!ctx.req.secure && !isLoopbackAddress(ctx.req.ip) && !warnedPlainHttp) {
      warnedPlainHttp = true;
      ctx.logger.warn(
        { ip: ctx.req.ip },
        "sign-in over plain http from another machine: serve Livehall over https (or behind a TLS proxy on loopback)",
      );
    }
    for (const cookie of authCookies(tokens, ctx.clock(), cookieOptions(ctx.req)))
      ctx.resHeaders?.append("Set-Cookie", cookie);
    return { accessTokenExpiresAt: tokens.accessTokenExpiresAt, tokens: null };
  }
  return {
    accessTokenExpiresAt: tokens.accessTokenExpiresAt,
    tokens: {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
    },
  };
}

function clearCookies(ctx: Context) {
  for (const cookie of clearedAuthCookies(cookieOptions(ctx.req))) ctx.resHeaders?.append("Set-Cookie", cookie);
}

export const authRouter = createTRPCRouter({
  signup: publicProcedure
    .input(
      z.strictObject({
        email,
        name: plainText(NAME_MAX_LENGTH, "Your name", { singleLine: true }).min(1, { error: "Enter your name." }),
        password,
        delivery,
        /** The token of an invitation mailed to this address: it proves the address. */
        invitation: linkToken.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user, tokens } = await auth.signup(ctx, input, { ip: ctx.req.ip, userAgent: ctx.req.userAgent });
      return { user, ...deliver(ctx, tokens, input.delivery) };
    }),

  login: publicProcedure
    .input(z.strictObject({ email, password: z.string().min(1).max(PASSWORD_MAX_LENGTH), delivery }))
    .mutation(async ({ ctx, input }) => {
      const { user, tokens } = await auth.login(ctx, input, { ip: ctx.req.ip, userAgent: ctx.req.userAgent });
      return { user, ...deliver(ctx, tokens, input.delivery) };
    }),

  /** Uses the token in the body first, else the `lh_rt` cookie. */
  refresh: publicProcedure
    .input(z.strictObject({ refreshToken: refreshToken.optional(), delivery }).default({ delivery: "cookie" }))
    .mutation(async ({ ctx, input }) => {
      const presented = input.refreshToken ?? ctx.req.refreshCookie;
      if (!presented) throw appError("UNAUTHORIZED", Reason.REFRESH_TOKEN_INVALID, "No refresh token. Sign in again.");
      try {
        const tokens = await auth.refresh(ctx, presented, ctx.req.userAgent);
        return deliver(ctx, tokens, input.delivery);
      } catch (error) {
        if (input.delivery === "cookie" && (error as { code?: string }).code === "UNAUTHORIZED") clearCookies(ctx);
        throw error;
      }
    }),

  /**
   * Ends this sign-in and leaves every live session the user is in. Works with an expired access
   * token and is safe to repeat.
   */
  logout: publicProcedure
    .input(z.strictObject({ refreshToken: refreshToken.optional() }).default({}))
    .mutation(async ({ ctx, input }) => {
      const presented = input.refreshToken ?? ctx.req.refreshCookie;
      const owner = ctx.user
        ? { familyId: ctx.user.familyId, userId: ctx.user.id }
        : presented
          ? await auth.refreshTokenOwner(ctx, presented)
          : null;
      await auth.logout(ctx, owner);
      if (owner) await leaveAllSessions(ctx, owner.userId);
      clearCookies(ctx);
      return { ok: true as const };
    }),

  /** Ends every sign-in of this user, on every device, and leaves every live session. */
  logoutAll: authedProcedure.input(z.strictObject({}).optional()).mutation(async ({ ctx }) => {
    const result = await auth.logoutAll(ctx, ctx.user.id, ctx.user.familyId);
    await leaveAllSessions(ctx, ctx.user.id);
    clearCookies(ctx);
    return result;
  }),

  me: authedProcedure.query(async ({ ctx }) => ({
    user: await auth.currentUser(ctx, ctx.user.id),
    accessTokenExpiresAt: ctx.accessTokenExpiresAt,
  })),

  /** "Forgot password?": the same answer whether or not the address has an account. */
  requestPasswordReset: publicProcedure
    .input(z.strictObject({ email }))
    .mutation(({ ctx, input }) => requestPasswordReset(ctx, input.email, ctx.req.ip)),

  /** Sets a new password with a reset link (once); every sign-in of the account ends. */
  resetPassword: publicProcedure
    .input(z.strictObject({ token: linkToken, password }))
    .mutation(async ({ ctx, input }) => {
      const result = await resetPassword(ctx, input.token, input.password);
      clearCookies(ctx);
      return result;
    }),

  /** Whether a mailed link would work now (valid, used, expired, invalid), without using it. */
  linkState: publicProcedure
    .input(z.strictObject({ token: linkToken, purpose: z.enum(["verify-email", "reset-password"]) }))
    .query(async ({ ctx, input }) => ({
      state: await (input.purpose === "verify-email" ? verificationLinkState : resetLinkState)(ctx, input.token),
    })),

  /** Confirms the address a verification link was sent to (a changed address takes effect now). */
  verifyEmail: publicProcedure
    .input(z.strictObject({ token: linkToken }))
    .mutation(({ ctx, input }) => verifyEmail(ctx, input.token)),

  /** A new verification link, within the user's budget. */
  resendVerification: authedProcedure
    .input(z.strictObject({}).optional())
    .mutation(({ ctx }) => resendVerification(ctx, ctx.user.id)),

  cleanupTokens: adminProcedure.input(z.strictObject({}).optional()).mutation(({ ctx }) => auth.cleanupTokens(ctx)),
});
