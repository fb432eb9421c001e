import { z } from "zod";
import { calendarFeedLink, rotateCalendarFeed, turnOffCalendarFeed } from "../services/calendar";
import { sessionReminderSetting, setSessionReminders } from "../services/session-mail";
import { authedProcedure, createTRPCRouter } from "../trpc";
import { noInput, withSettingsBudget } from "./settings-budget";

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
