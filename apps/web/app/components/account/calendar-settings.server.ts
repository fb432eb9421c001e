import type { AppLoadContext } from "@remix-run/node";

/** The data of both sections, for the account page's loader (two queries, in parallel). */
export async function loadCalendarSettings(context: AppLoadContext) {
  const [reminders, feed] = await Promise.all([
    context.caller.account.sessionReminders(),
    context.caller.account.calendarFeed(),
  ]);
  return { reminders, feed };
}
