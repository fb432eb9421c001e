import { formatInZone, formatLocal, formatRelative, formatUtc } from "../../lib/time";
import { useTimeZone } from "../../lib/use-time-zone";
import { useHydrated } from "../../lib/use-hydrated";

/**
 * An absolute time in a <time dateTime> element: from the server already in the viewer's time zone
 * when the browser sent its hint (else a fixed UTC text), and after hydration in the viewer's own
 * locale.
 */
export function AbsoluteTime({ date, className }: { date: Date; className?: string }) {
  const hydrated = useHydrated();
  const zone = useTimeZone();
  return (
    <time dateTime={date.toISOString()} className={className} data-testid="absolute-time">
      {hydrated ? formatLocal(date) : zone ? formatInZone(date, zone) : formatUtc(date)}
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
