import { z } from "zod";
import type { Context, SessionUser } from "../context";
import { calendarFeedLink, rotateCalendarFeed, turnOffCalendarFeed } from "../services/calendar";
import { spendRoomBudget } from "../services/room-limits";
import { sessionReminderSetting, setSessionReminders } from "../services/session-mail";
import { authedProcedure, createTRPCRouter } from "../trpc";

/** Procedures that take nothing still refuse a body with fields (400, as everywhere). */
const noInput = z.strictObject({}).optional();

/**
 * A change to these settings spends the ACCOUNT_RATE_SETTINGS budget (each is a write; rotating makes
 * a new secret), after its input was checked, so malformed calls answer 400, not 429.
 */
async function withSettingsBudget<T>(ctx: Context & { user: SessionUser }, change: () => Promise<T>): Promise<T> {
  await spendRoomBudget(
    ctx,
    "accountSettings",
    ctx.user.id,
    "Too many changes in a short time. Wait a moment and try again.",
  );
  return change();
}

/** The account page's reminder and calendar sections (docs/decisions/022); merged into `account`. */
export const accountCalendarRouter = createTRPCRouter({
  sessionReminders: authedProcedure.input(noInput).query(({ ctx }) => sessionReminderSetting(ctx, ctx.user.id)),

  setSessionReminders: authedProcedure
    .input(z.strictObject({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => withSettingsBudget(ctx, () => setSessionReminders(ctx, ctx.user.id, input.enabled))),

  /** The personal feed link ({ url: null } until the user makes one). */
  calendarFeed: authedProcedure.input(noInput).query(({ ctx }) => calendarFeedLink(ctx, ctx.user.id)),

  /** A new feed link; the old one stops working. */
  rotateCalendarFeed: authedProcedure
    .input(noInput)
    .mutation(({ ctx }) => withSettingsBudget(ctx, () => rotateCalendarFeed(ctx, ctx.user.id))),

  turnOffCalendarFeed: authedProcedure
    .input(noInput)
    .mutation(({ ctx }) => withSettingsBudget(ctx, () => turnOffCalendarFeed(ctx, ctx.user.id))),
});
