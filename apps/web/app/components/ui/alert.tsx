import { forwardRef, type ReactNode } from "react";
import { cn } from "./cn";

const tones = {
  error: "border-live-200 bg-live-50 text-live-700",
  success: "border-success-100 bg-success-50 text-success-800",
  info: "border-brand-200 bg-brand-50 text-brand-800",
  warning: "border-warning-200 bg-warning-50 text-warning-800",
} as const;

/** A message box. Errors are announced (role="alert") when they appear. */
export const Alert = forwardRef<
  HTMLDivElement,
  { tone?: keyof typeof tones; title?: string; children: ReactNode; className?: string }
>(function Alert({ tone = "info", title, children, className }, ref) {
  return (
    <div
      ref={ref}
      tabIndex={-1}
      role={tone === "error" ? "alert" : "status"}
      className={cn("rounded-control border px-4 py-3 text-sm focus:outline-none", tones[tone], className)}
    >
      {title ? <p className="font-semibold">{title}</p> : null}
      <div className={title ? "mt-0.5" : undefined}>{children}</div>
    </div>
  );
});
