import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { cn } from "./cn";

export interface ToastMessage {
  id: number;
  tone: "success" | "info";
  title: string;
  body?: ReactNode;
}

const LIFETIME_MS = 6_000;

/** A page's toasts: `push` shows one for a few seconds (at most three at once). */
export function useToasts() {
  const [toasts, setToasts] = useState<ToastMessage[]>([]);
  const next = useRef(0);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach(clearTimeout);
  }, []);
  const dismiss = useCallback((id: number) => setToasts((previous) => previous.filter((toast) => toast.id !== id)), []);
  const push = useCallback(
    (toast: Omit<ToastMessage, "id">) => {
      const id = ++next.current;
      setToasts((previous) => [...previous.slice(-2), { ...toast, id }]);
      const timer = setTimeout(() => {
        timers.current.delete(timer);
        dismiss(id);
      }, LIFETIME_MS);
      timers.current.add(timer);
    },
    [dismiss],
  );
  return { toasts, push, dismiss };
}

const tones = {
  success: { ring: "ring-success-100", icon: "bg-success-50 text-success-700", path: "m5 10.5 3.5 3.5L15 6.5" },
  info: { ring: "ring-brand-100", icon: "bg-brand-50 text-brand-700", path: "M10 6.5v.01M10 9.5v4" },
} as const;

/**
 * Where toasts appear (bottom right; bottom centre on phones). The region is always in the page and
 * polite, so screen readers announce each toast as it arrives without interrupting.
 */
export function ToastRegion({ toasts, onDismiss }: { toasts: ToastMessage[]; onDismiss: (id: number) => void }) {
  return (
    <div
      role="status"
      aria-live="polite"
      aria-label="Notifications"
      className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-3 p-4 sm:items-end sm:p-6"
    >
      {toasts.map((toast) => {
        const tone = tones[toast.tone];
        return (
          <div
            key={toast.id}
            data-testid="toast"
            className={cn(
              "pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-card bg-white/95 p-4 shadow-card-hover ring-1 backdrop-blur",
              tone.ring,
            )}
          >
            <span
              className={cn("flex size-8 shrink-0 items-center justify-center rounded-full", tone.icon)}
              aria-hidden="true"
            >
              <svg
                viewBox="0 0 20 20"
                className="size-4"
                fill="none"
                stroke="currentColor"
                strokeWidth={2.25}
                strokeLinecap="round"
                strokeLinejoin="round"
              >
                <path d={tone.path} />
              </svg>
            </span>
            <div className="min-w-0 flex-1 pt-1">
              <p className="text-sm font-semibold text-slate-900">{toast.title}</p>
              {toast.body ? <div className="mt-0.5 text-sm text-slate-600">{toast.body}</div> : null}
            </div>
            <button
              type="button"
              onClick={() => onDismiss(toast.id)}
              className="-m-1.5 flex size-9 shrink-0 items-center justify-center rounded-control text-slate-500 hover:bg-slate-900/5 hover:text-slate-900"
            >
              <span className="sr-only">Dismiss</span>
              <svg
                viewBox="0 0 20 20"
                className="size-4"
                fill="none"
                stroke="currentColor"
                strokeWidth={2}
                strokeLinecap="round"
                aria-hidden="true"
              >
                <path d="m5 5 10 10M15 5 5 15" />
              </svg>
            </button>
          </div>
        );
      })}
    </div>
  );
}
