/**
 * Wall-clock arithmetic in IANA time zones with Node's built-in Intl (no date library): a weekly
 * class keeps its local start time when daylight saving time begins or ends between two weeks.
 */

// Keyed by the canonical zone name: Intl accepts any letter case ("europe/BERLIN"), and a cache
// keyed by what callers send would grow with every spelling.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  const canonical = new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
  let format = formatters.get(canonical);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: canonical,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(canonical, format);
  }
  return format;
}

/** True for a time zone name this runtime knows ("Europe/Berlin", "UTC"); false for anything else. */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The date and time a clock in `timeZone` shows at `instant`. */
export function wallTime(instant: Date, timeZone: string): WallTime {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((part) => [part.type, Number(part.value)]),
  );
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

const asUtc = (wall: WallTime, ms = 0) =>
  Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, ms);

/** How far `timeZone` is ahead of UTC at `instant`, in milliseconds. */
export function utcOffsetMs(instant: Date, timeZone: string): number {
  const whole = instant.getTime() - instant.getUTCMilliseconds();
  return asUtc(wallTime(new Date(whole), timeZone)) - whole;
}

/**
 * The instant a clock in `timeZone` shows `wall`. Two passes settle the offset on either side of a
 * change; a time skipped by the change (02:30 when clocks jump from 02:00 to 03:00) comes out an
 * hour later, as a clock would show it.
 */
export function zonedInstant(wall: WallTime, timeZone: string, ms = 0): Date {
  const local = asUtc(wall, ms);
  const first = local - utcOffsetMs(new Date(local), timeZone);
  return new Date(local - utcOffsetMs(new Date(first), timeZone));
}

/** `instant` moved by whole calendar days in `timeZone`, keeping its local time of day. */
export function addLocalDays(instant: Date, days: number, timeZone: string): Date {
  const wall = wallTime(instant, timeZone);
  // Date.UTC normalises the day overflow (31 + 7 → next month).
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return zonedInstant(
    { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() },
    timeZone,
    instant.getUTCMilliseconds(),
  );
}
