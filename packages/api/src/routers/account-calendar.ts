import { z } from "zod";
import { calendarFeedLink, rotateCalendarFeed, turnOffCalendarFeed } from "../services/calendar";
import { spendRoomBudget } from "../services/room-limits";
import { sessionReminderSetting, setSessionReminders } from "../services/session-mail";
import { authedProcedure, createTRPCRouter } from "../trpc";

/** Changes to these settings spend the ACCOUNT_RATE_SETTINGS budget (each is a write; rotating makes a secret). */
const settingsChange = authedProcedure.use(async ({ ctx, next }) => {
  await spendRoomBudget(
    ctx,
    "accountSettings",
    ctx.user.id,
    "Too many changes in a short time. Wait a moment and try again.",
  );
  return next();
});

/** The account page's reminder and calendar sections (docs/decisions/022); merged into `account`. */
export const accountCalendarRouter = createTRPCRouter({
  sessionReminders: authedProcedure.query(({ ctx }) => sessionReminderSetting(ctx, ctx.user.id)),

  setSessionReminders: settingsChange
    .input(z.strictObject({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setSessionReminders(ctx, ctx.user.id, input.enabled)),

  /** The personal feed link ({ url: null } until the user makes one). */
  calendarFeed: authedProcedure.query(({ ctx }) => calendarFeedLink(ctx, ctx.user.id)),

  /** A new feed link; the old one stops working. */
  rotateCalendarFeed: settingsChange.mutation(({ ctx }) => rotateCalendarFeed(ctx, ctx.user.id)),

  turnOffCalendarFeed: settingsChange.mutation(({ ctx }) => turnOffCalendarFeed(ctx, ctx.user.id)),
});
