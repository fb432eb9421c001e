import type { ReactNode } from "react";
import { Card } from "./card";
import { cn } from "./cn";

const ICON_TONES = {
  brand: "bg-brand-50 text-brand-600 ring-1 ring-brand-100",
  accent: "bg-accent-50 text-accent-600 ring-1 ring-accent-100",
  amber: "bg-amber-50 text-amber-600 ring-1 ring-amber-100",
  live: "bg-live-50 text-live-600 ring-1 ring-live-100",
  success: "bg-success-50 text-success-700 ring-1 ring-success-100",
  warning: "bg-warning-50 text-warning-800 ring-1 ring-warning-200",
} as const;

export type StatTone = keyof typeof ICON_TONES;

/** One headline figure in a glass card: what it is, the number, a line of context and an icon. */
export function StatCard({
  label,
  value,
  detail,
  icon,
  tone = "brand",
  className,
  testId,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  icon?: ReactNode;
  /** The colour of the icon's tile. */
  tone?: StatTone;
  className?: string;
  testId?: string;
}) {
  return (
    <Card className={cn("h-full p-4 sm:p-5", className)} data-testid={testId}>
      <div className="flex items-start justify-between gap-3">
        <p className="text-sm font-medium text-slate-600">{label}</p>
        {icon ? (
          <span
            className={cn("flex size-9 shrink-0 items-center justify-center rounded-xl", ICON_TONES[tone])}
            aria-hidden="true"
          >
            {icon}
          </span>
        ) : null}
      </div>
      <p
        className="mt-1 text-3xl font-bold tracking-tight text-slate-900 tabular-nums"
        data-testid={testId ? `${testId}-value` : undefined}
      >
        {value}
      </p>
      {detail ? <div className="mt-1 text-xs text-slate-600">{detail}</div> : null}
    </Card>
  );
}
