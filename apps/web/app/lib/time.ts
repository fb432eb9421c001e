/**
 * Dates on the pages. Relative times are computed here by hand (not Intl.RelativeTimeFormat), and
 * absolute times on the server are fixed texts built from numbers (the viewer's time zone when the
 * browser told it in the time-zone hint cookie, else UTC), so the server's HTML and the browser's
 * first render are identical whatever ICU data either has; after hydration the browser switches the
 * absolute time to the viewer's own locale (see SessionTime).
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/** "5 min", "2 hours", "3 days" — the largest unit that fits, rounded. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < HOUR) return `${Math.max(1, Math.round(abs / MINUTE))} min`;
  if (abs < DAY) return plural(Math.round(abs / HOUR), "hour");
  if (abs < 30 * DAY) return plural(Math.round(abs / DAY), "day");
  if (abs < 365 * DAY) return plural(Math.round(abs / (30 * DAY)), "month");
  return plural(Math.round(abs / (365 * DAY)), "year");
}

/** "in 2 hours", "5 min ago", "just now" / "starting now". */
export function formatRelative(date: Date, now: Date): string {
  const diff = date.getTime() - now.getTime();
  if (Math.abs(diff) < MINUTE) return diff >= 0 ? "starting now" : "just now";
  return diff > 0 ? `in ${formatDuration(diff)}` : `${formatDuration(diff)} ago`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (value: number) => String(value).padStart(2, "0");

/**
 * "Tue, Mar 4, 17:00 UTC" ("Tue, Mar 4, 2025, 17:00 UTC" outside `now`'s year): identical on every
 * engine (used before hydration).
 */
export function formatUtc(date: Date, now = new Date()): string {
  const year = date.getUTCFullYear() === now.getUTCFullYear() ? "" : `, ${date.getUTCFullYear()}`;
  return `${WEEKDAYS[date.getUTCDay()]}, ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}${year}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** The year of `date` where the viewer is: New Year's Eve in London is already January in Tokyo. */
function yearIn(date: Date, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat("en-US", { year: "numeric", timeZone }).format(date);
}

/** The viewer's own time zone and locale (browser only), with the year when it is not `now`'s. */
export function formatLocal(date: Date, timeZone?: string, now = new Date()): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    month: "short",
    day: "numeric",
    ...(yearIn(date, timeZone) === yearIn(now, timeZone) ? {} : { year: "numeric" }),
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
    timeZone,
  }).format(date);
}

const LONG_MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const LONG_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The date and time a clock in `timeZone` shows at `date`: numbers only, the same in every engine. */
export function wallClock(date: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    })
      .formatToParts(date)
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<"year" | "month" | "day" | "hour" | "minute", number>;
  const midnight = Date.UTC(parts.year, parts.month - 1, parts.day);
  const offsetMinutes = Math.round((midnight + (parts.hour * 60 + parts.minute) * 60_000 - date.getTime()) / 60_000);
  return { ...parts, weekday: new Date(midnight).getUTCDay(), offsetMinutes, dayKey: midnight };
}

/** "GMT+9", "GMT-4:30", "UTC": the zone's offset at that moment, as Intl's short names say it. */
function offsetLabel(minutes: number): string {
  if (minutes === 0) return "UTC";
  const abs = Math.abs(minutes);
  return `GMT${minutes > 0 ? "+" : "-"}${Math.floor(abs / 60)}${abs % 60 ? `:${pad(abs % 60)}` : ""}`;
}

/** "4:05 PM" in `timeZone`. */
export function formatClock(date: Date, timeZone: string): string {
  const { hour, minute } = wallClock(date, timeZone);
  return `${hour % 12 || 12}:${pad(minute)} ${hour < 12 ? "AM" : "PM"}`;
}

/**
 * "Wed, Mar 4, 4:05 PM GMT+9" ("…, 2027, …" outside `now`'s year) in `timeZone`: the server's text when
 * the viewer's time zone is known, identical on every engine (numbers from Intl, words from here).
 */
export function formatInZone(date: Date, timeZone: string, now = new Date()): string {
  const wall = wallClock(date, timeZone);
  const year = wall.year === wallClock(now, timeZone).year ? "" : `, ${wall.year}`;
  return `${WEEKDAYS[wall.weekday]}, ${MONTHS[wall.month - 1]} ${wall.day}${year}, ${formatClock(date, timeZone)} ${offsetLabel(wall.offsetMinutes)}`;
}

/** "Today", "Tomorrow", or "Wednesday, March 4" (with the year when not `now`'s): a day in `timeZone`. */
export function formatDay(date: Date, timeZone: string, now: Date): string {
  const day = wallClock(date, timeZone);
  const today = wallClock(now, timeZone);
  const days = Math.round((day.dayKey - today.dayKey) / DAY);
  if (days === 0) return "Today";
  if (days === 1) return "Tomorrow";
  const year = day.year === today.year ? "" : `, ${day.year}`;
  return `${LONG_WEEKDAYS[day.weekday]}, ${LONG_MONTHS[day.month - 1]} ${day.day}${year}`;
}
