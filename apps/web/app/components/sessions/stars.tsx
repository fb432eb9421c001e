import { cn } from "../ui";

const STAR = "M10 1.5l2.6 5.3 5.9.86-4.25 4.14 1 5.85L10 14.9l-5.25 2.75 1-5.85L1.5 7.66l5.9-.86L10 1.5Z";

function Row({ className }: { className: string }) {
  return (
    <span className={cn("flex gap-0.5", className)}>
      {[0, 1, 2, 3, 4].map((index) => (
        <svg key={index} viewBox="0 0 20 20" className="size-4 shrink-0" fill="currentColor" aria-hidden="true">
          <path d={STAR} />
        </svg>
      ))}
    </span>
  );
}

/** Five stars filled to `value` (fractions too), read as "4.5 out of 5". */
export function Stars({ value, className }: { value: number; className?: string }) {
  const rounded = Math.round(value * 10) / 10;
  const percent = Math.max(0, Math.min(100, (value / 5) * 100));
  return (
    <span role="img" aria-label={`${rounded} out of 5`} className={cn("relative inline-flex", className)}>
      <Row className="text-slate-300" />
      <span className="absolute inset-y-0 left-0 overflow-hidden" style={{ width: `${percent}%` }}>
        <Row className="text-amber-400" />
      </span>
    </span>
  );
}

/** Stars, the average as a number and how many ratings it is from; or "No ratings yet". */
export function RatingSummary({ average, count }: { average: number | null; count: number }) {
  if (average === null || count === 0) return <span className="text-sm text-slate-600">No ratings yet</span>;
  return (
    <span className="inline-flex items-center gap-2 text-sm">
      <Stars value={average} />
      <span className="font-semibold text-slate-900">{average.toFixed(1)}</span>
      <span className="text-slate-600" aria-hidden="true">
        ({count})
      </span>
      <span className="sr-only">{count === 1 ? "1 rating" : `${count} ratings`}</span>
    </span>
  );
}
