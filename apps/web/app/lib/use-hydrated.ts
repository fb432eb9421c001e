import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * False while rendering on the server and during hydration, true afterwards. Lets a component render
 * exactly what the server rendered first (no hydration mismatch) and then upgrade to what needs the
 * browser (its time zone, the current time, roving focus).
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
