import { useEffect, useState } from "react";

/**
 * The current time for relative labels: the server's `serverNow` while rendering on the server and
 * hydrating (so both render the same text), then the browser's clock, ticking every `everyMs`.
 */
export function useNow(serverNow: string, everyMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date(serverNow));
  useEffect(() => {
    setNow(new Date());
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
