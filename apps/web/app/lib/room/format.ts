/** "0:07", "12:34", "1:02:03" — an elapsed-time clock. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (value: number) => String(value).padStart(2, "0");
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** The same for screen readers: "1 hour 2 minutes", "7 seconds". */
export function describeElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const unit = (value: number, name: string) => `${value} ${name}${value === 1 ? "" : "s"}`;
  if (hours > 0) return minutes > 0 ? `${unit(hours, "hour")} ${unit(minutes, "minute")}` : unit(hours, "hour");
  if (minutes > 0) return unit(minutes, "minute");
  return unit(total % 60, "second");
}

/** Seconds until `at` for "reconnecting in N s" (at least 1 while waiting). */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/** The room's explanation of a sign-out reason. */
export function signedOutText(reason: string | null): string {
  switch (reason) {
    case "SIGNED_OUT":
      return "You signed out in another tab.";
    case "ACCOUNT_DISABLED":
      return "An admin has disabled this account.";
    case "SESSION_REVOKED":
      return "This sign-in was ended (signed out everywhere, or from another tab).";
    case "REFRESH_TOKEN_REUSED":
      return "For your security this sign-in was ended: it was used from somewhere else.";
    case "REFRESH_TOKEN_EXPIRED":
      return "Your sign-in has expired.";
    case "UNAUTHENTICATED":
      return "You are no longer signed in on this browser (you may have signed out in another tab).";
    default:
      return "Your sign-in is no longer valid.";
  }
}

/**
 * Who is already in the room, for the pre-join screen: "Nobody is here yet.", "Ann is here.",
 * "Ann and Bo are here.", "Ann, Bo and 3 others are here." — `count` is the room's exact count,
 * `names` the first few of them.
 */
export function whoIsHere(names: string[], count: number): string {
  if (count <= 0) return "Nobody is here yet.";
  const shown = names.slice(0, Math.min(names.length, count, 2));
  const others = count - shown.length;
  if (shown.length === 0) return `${count} ${count === 1 ? "person is" : "people are"} here.`;
  if (others === 0) return `${shown.join(" and ")} ${shown.length === 1 ? "is" : "are"} here.`;
  return `${shown.join(", ")} and ${others} ${others === 1 ? "other" : "others"} are here.`;
}
