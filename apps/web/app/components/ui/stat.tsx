import type { ReactNode } from "react";
import { Card } from "./card";
import { cn } from "./cn";

/** One headline figure in a glass card: what it is, the number, a line of context and an icon. */
export function StatCard({
  label,
  value,
  detail,
  icon,
  iconClass,
  className,
  testId,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  icon?: ReactNode;
  iconClass?: string;
  className?: string;
  testId?: string;
}) {
  return (
    <Card className={cn("h-full p-4 sm:p-5", className)} data-testid={testId}>
      <div className="flex items-start justify-between gap-3">
        <p className="text-sm font-medium text-slate-600">{label}</p>
        {icon ? (
          <span className={cn("flex size-9 shrink-0 items-center justify-center rounded-xl", iconClass ?? "bg-brand-50 text-brand-600 ring-1 ring-brand-100")} aria-hidden="true">
            {icon}
          </span>
        ) : null}
      </div>
      <p className="mt-1 text-3xl font-bold tracking-tight text-slate-900 tabular-nums" data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </p>
      {detail ? <div className="mt-1 text-xs text-slate-600">{detail}</div> : null}
    </Card>
  );
}
