import { describeElapsed, formatElapsed } from "../../lib/room/format";
import { useHydrated } from "../../lib/use-hydrated";
import { useTicker } from "../../lib/room/use-ticker";
import { ClockIcon } from "../icons";

/**
 * "Live for 12:34", ticking every second. The server's clock renders it (and hydration matches); after
 * that the browser's clock, corrected by the skew between the two measured at load.
 */
export function ElapsedClock({ startedAt, serverNow, skewMs }: { startedAt: Date; serverNow: number; skewMs: number }) {
  const hydrated = useHydrated();
  const now = useTicker(hydrated, 1_000, serverNow - skewMs);
  const elapsed = (hydrated ? now + skewMs : serverNow) - startedAt.getTime();
  return (
    <p className="inline-flex items-center gap-1.5 text-sm font-medium text-live-700" data-testid="elapsed">
      <ClockIcon className="size-4" />
      <span>Live for</span>
      <time dateTime={`PT${Math.max(0, Math.floor(elapsed / 1000))}S`} className="font-semibold tabular-nums">
        <span aria-hidden="true">{formatElapsed(elapsed)}</span>
        <span className="sr-only">{describeElapsed(elapsed)}</span>
      </time>
    </p>
  );
}
