import { useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";

/**
 * Polls the page's loaders every `intervalMs` while `enabled`, the tab is visible and nothing else is
 * loading or submitting, and once when the tab becomes visible again (docs/decisions/008).
 */
export function useAutoRevalidate(intervalMs: number, enabled = true) {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const latest = useRef({ revalidator, navigation });
  latest.current = { revalidator, navigation };

  useEffect(() => {
    if (!enabled) return;
    const tick = () => {
      const { revalidator, navigation } = latest.current;
      if (document.visibilityState !== "visible" || revalidator.state !== "idle" || navigation.state !== "idle") return;
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
