/** What the account page's reminder and calendar sections show (account.sessionReminders, account.calendarFeed). */
export interface ReminderSetting {
  enabled: boolean;
  emailVerified: boolean;
  leadMinutes: number;
}

export interface CalendarFeedSetting {
  url: string | null;
  createdAt: Date | string | null;
}

/** Where both sections post (routes/account.calendar.ts). */
export const CALENDAR_SETTINGS_ACTION = "/account/calendar";

export type CalendarSettingsAnswer =
  | { ok: true; intent: "reminders"; reminders: ReminderSetting }
  | { ok: true; intent: "rotate-feed" | "turn-off-feed"; feed: CalendarFeedSetting }
  | { ok: false; message: string };
