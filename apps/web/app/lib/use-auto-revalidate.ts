import { useFetchers, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";

/**
 * Polls the page's loaders every `intervalMs` while `enabled`, the tab is visible and nothing else is
 * loading or submitting (a navigation, or a fetcher: an action's own revalidation or redirect follows
 * it, and a poll racing it could win), and once when the tab becomes visible again (docs/decisions/008).
 */
export function useAutoRevalidate(intervalMs: number, enabled = true) {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const fetching = useFetchers().some((fetcher) => fetcher.state !== "idle");
  const latest = useRef({ revalidator, navigation, fetching });
  latest.current = { revalidator, navigation, fetching };

  useEffect(() => {
    if (!enabled) return;
    const tick = () => {
      const { revalidator, navigation, fetching } = latest.current;
      const busy = revalidator.state !== "idle" || navigation.state !== "idle" || fetching;
      if (document.visibilityState !== "visible" || busy) return;
      revalidator.revalidate();
    };
    const timer = setInterval(tick, intervalMs);
    const onVisibility = () => {
      if (document.visibilityState === "visible") tick();
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [intervalMs, enabled]);
}
