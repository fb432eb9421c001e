/** Formatting for the teach and admin pages (pure: the same text on the server and in the browser). */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** An elapsed time, precise to the second under an hour: "12 s", "3 min 05 s", "1 h 04 min". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms / SECOND));
  if (total < 60) return `${total} s`;
  const hours = Math.floor(total / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  if (hours === 0) return `${minutes} min ${String(seconds).padStart(2, "0")} s`;
  return `${hours} h ${String(minutes).padStart(2, "0")} min`;
}

/** A job interval or a planned length: "15 s", "10 min", "1 h", "1 h 30 min". */
export function formatSpan(ms: number): string {
  if (ms < MINUTE) return `${Math.round(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.round(ms / MINUTE)} min`;
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.round((ms % HOUR) / MINUTE);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/** A job run's duration: "38 ms", "1.2 s". */
export function formatRunDuration(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

const COUNT_LABELS: Record<string, string> = {
  expired: "Expired tokens deleted",
  revoked: "Revoked tokens deleted",
  presenceRestored: "People put back in the room after a restart",
  duplicatesClosed: "People listed twice, now once",
  endedSessionRowsClosed: "People taken out of ended sessions",
  disconnectedRowsClosed: "People taken out who had closed the session",
  orphanConnectionsDropped: "Open tabs that belonged to nobody",
  connectionsEvicted: "Tabs that stopped answering, closed",
  participantsTimedOut: "People who stopped answering, taken out",
  sessions: "Sessions checked",
  ended: "Sessions ended",
};

/** A job count's name for people: "participantsTimedOut" → "People who stopped answering, taken out". */
export function countLabel(key: string): string {
  const known = COUNT_LABELS[key];
  if (known) return known;
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Counts that describe the sweep itself rather than something it fixed. */
const CONTEXT_COUNTS = new Set(["sessions"]);

/** Everything a clean-up fixed (not how many sessions it looked at). */
export function driftTotal(counts: object): number {
  return Object.entries(counts as Record<string, number>).reduce(
    (sum, [key, value]) => (CONTEXT_COUNTS.has(key) ? sum : sum + value),
    0,
  );
}

export function isContextCount(key: string): boolean {
  return CONTEXT_COUNTS.has(key);
}

/**
 * The value for an <input type="datetime-local"> showing `date` in the browser's time zone
 * ("2030-01-31T09:00").
 */
export function toLocalInputValue(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * A datetime-local value read in the browser's time zone, as an ISO instant; "" when it is not a
 * date. (`new Date("2030-01-31T09:00")` is local time by the spec.)
 */
export function localInputToIso(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}
