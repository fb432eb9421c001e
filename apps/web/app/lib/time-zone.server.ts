import { isTimeZone } from "@livehall/api";
import { TIME_ZONE_COOKIE } from "./time-zone";

/** The browser's time zone from its hint cookie (see time-zone.ts), when it is one this runtime knows. */
export function timeZoneHint(request: Request): string | null {
  const cookie = request.headers.get("cookie") ?? "";
  const entry = cookie
    .split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${TIME_ZONE_COOKIE}=`));
  if (!entry) return null;
  let zone: string;
  try {
    zone = decodeURIComponent(entry.slice(TIME_ZONE_COOKIE.length + 1));
  } catch {
    return null;
  }
  return zone.length <= 64 && isTimeZone(zone) ? zone : null;
}
