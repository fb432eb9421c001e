import type { ReactNode } from "react";
import { cn } from "./cn";

export type BadgeTone = "live" | "upcoming" | "ended" | "cancelled" | "success" | "neutral" | "brand";

const tones: Record<BadgeTone, string> = {
  live: "bg-live-600 text-white ring-live-600",
  upcoming: "bg-brand-50 text-brand-700 ring-brand-200",
  ended: "bg-slate-100 text-slate-700 ring-slate-200",
  cancelled: "bg-warning-50 text-warning-800 ring-warning-200",
  success: "bg-success-50 text-success-800 ring-success-100",
  neutral: "bg-white text-slate-700 ring-slate-200",
  brand: "bg-accent-50 text-accent-700 ring-accent-100",
};

export function Badge({
  tone = "neutral",
  className,
  children,
}: {
  tone?: BadgeTone;
  className?: string;
  children: ReactNode;
}) {
  return (
    <span
      className={cn(
        "inline-flex items-center gap-1.5 rounded-full px-2.5 py-1 text-xs font-semibold tracking-wide ring-1 ring-inset",
        tones[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

/** The pulsing dot of anything live. Decorative: the text next to it says "Live". */
export function LiveDot({ className, tone = "light" }: { className?: string; tone?: "light" | "red" }) {
  const color = tone === "light" ? "bg-white" : "bg-live-600";
  return (
    <span className={cn("relative flex size-2", className)} aria-hidden="true">
      <span className={cn("absolute inline-flex size-full animate-live-ping rounded-full opacity-75", color)} />
      <span className={cn("relative inline-flex size-2 rounded-full", color)} />
    </span>
  );
}
