import type { ReactNode } from "react";
import { cn } from "./cn";

export function EmptyState({
  icon,
  title,
  children,
  action,
  className,
}: {
  icon?: ReactNode;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div
      className={cn(
        "flex flex-col items-center rounded-card border border-dashed border-slate-300 bg-white/40 px-6 py-14 text-center backdrop-blur-sm",
        className,
      )}
    >
      {icon ? (
        <div className="flex size-12 items-center justify-center rounded-full bg-gradient-to-br from-brand-50 to-accent-50 text-brand-700 ring-1 ring-brand-100">
          {icon}
        </div>
      ) : null}
      <h3 className="mt-4 text-base font-semibold text-slate-900">{title}</h3>
      {children ? <div className="mt-1.5 max-w-sm text-sm text-slate-600">{children}</div> : null}
      {action ? <div className="mt-6">{action}</div> : null}
    </div>
  );
}
