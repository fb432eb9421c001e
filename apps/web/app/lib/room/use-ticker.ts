import { useEffect, useState } from "react";

/** The current time (ms), re-read every `everyMs` while `active`; `initial` until then (SSR-safe). */
export function useTicker(active: boolean, everyMs: number, initial: number): number {
  const [now, setNow] = useState(initial);
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  return now;
}
