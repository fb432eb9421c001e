/**
 * Dates on the sessions page. Relative times are computed here by hand (not Intl.RelativeTimeFormat)
 * and absolute times on the server are fixed UTC strings, so the server's HTML and the browser's
 * first render are identical whatever ICU data either has; after hydration the browser switches the
 * absolute time to the viewer's time zone and locale (see SessionTime).
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
