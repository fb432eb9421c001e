import { cn } from "./cn";

/** A grey placeholder block; screen readers get the busy state from the region around it. */
export function Skeleton({ className }: { className?: string }) {
  return <div className={cn("animate-pulse rounded-md bg-slate-200/80", className)} aria-hidden="true" />;
}
