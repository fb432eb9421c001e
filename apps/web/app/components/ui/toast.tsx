import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from "react";
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

// Server rendering has no layout to measure; the effect is only needed in the browser.
const useBrowserLayoutEffect = typeof document === "undefined" ? useEffect : useLayoutEffect;

/**
 * The control a toast reports on: the last button or link pressed outside a dialog (a confirm
 * dialog's own button stands for the one that opened it), with where it was when pressed, since a
 * finished action often re-renders or removes it.
 */
function useLastControl() {
  const last = useRef<{ element: Element; rect: DOMRect } | null>(null);
  useEffect(() => {
    const onClick = (event: MouseEvent) => {
      const control = (event.target as Element | null)?.closest("button, a, [role=button]");
      if (control && !control.closest("dialog, [role=dialog], [data-toast-region]"))
        last.current = { element: control, rect: control.getBoundingClientRect() };
    };
    document.addEventListener("click", onClick, true);
    return () => document.removeEventListener("click", onClick, true);
  }, []);
  return last;
}

/**
 * Where toasts appear: at the bottom (right; centred on phones), unless the control they report on
 * is in the lower half of the window; then at the top, under the header, so they never cover it.
 * The region is always in the page and polite, so screen readers announce each toast as it arrives
 * without interrupting.
 */
export function ToastRegion({ toasts, onDismiss }: { toasts: ToastMessage[]; onDismiss: (id: number) => void }) {
  const lastControl = useLastControl();
  const [atTop, setAtTop] = useState(false);
  const newest = toasts.at(-1)?.id;
  useBrowserLayoutEffect(() => {
    if (newest === undefined || !lastControl.current) return;
    const { element, rect } = lastControl.current;
    const box = element.isConnected ? element.getBoundingClientRect() : rect;
    setAtTop(box.top + box.height / 2 > window.innerHeight / 2);
  }, [newest, lastControl]);
  return (
    <div
      role="status"
      aria-live="polite"
      aria-label="Notifications"
      data-toast-region
      data-placement={atTop ? "top" : "bottom"}
      className={cn(
        "pointer-events-none fixed inset-x-0 z-50 flex gap-3 p-4 sm:p-6",
        // At the top the newest toast is nearest the header, away from the control.
        atTop ? "top-16 flex-col-reverse items-center sm:items-end" : "bottom-0 flex-col items-center sm:items-end",
      )}
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
