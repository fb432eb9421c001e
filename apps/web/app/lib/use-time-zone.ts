import { useRouteLoaderData } from "@remix-run/react";

/**
 * The viewer's time zone as the server knows it (the hint cookie of time-zone.ts, from the root
 * loader), or null: times are then shown in UTC until the page has hydrated.
 */
export function useTimeZone(): string | null {
  return useRouteLoaderData<{ timeZone?: string | null }>("root")?.timeZone ?? null;
}
