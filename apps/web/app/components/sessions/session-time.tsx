import { formatLocal, formatRelative, formatUtc } from "../../lib/time";
import { useHydrated } from "../../lib/use-hydrated";

/**
 * An absolute time in a <time dateTime> element: a fixed UTC text from the server, upgraded after
 * hydration to the viewer's time zone and locale.
 */
export function AbsoluteTime({ date, className }: { date: Date; className?: string }) {
  const hydrated = useHydrated();
  return (
    <time dateTime={date.toISOString()} className={className} data-testid="absolute-time">
      {hydrated ? formatLocal(date) : formatUtc(date)}
    </time>
  );
}

/** "in 2 hours", "started 5 min ago"… against `now` (see useNow). */
export function RelativeTime({
  date,
  now,
  prefix,
  className,
}: {
  date: Date;
  now: Date;
  prefix?: string;
  className?: string;
}) {
  const relative = formatRelative(date, now);
  return (
    <span className={className}>
      {prefix ? `${prefix} ${relative}` : relative.charAt(0).toUpperCase() + relative.slice(1)}
    </span>
  );
}
