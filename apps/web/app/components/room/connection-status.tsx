import type { ReactNode } from "react";
import type { RoomPhase, RoomState } from "../../lib/room/connection";
import { secondsUntil } from "../../lib/room/format";
import { useTicker } from "../../lib/room/use-ticker";
import { Button, Spinner, cn } from "../ui";
import { RefreshIcon, WifiOffIcon } from "../icons";

const TONES: Partial<Record<RoomPhase, string>> = {
  connected: "bg-success-50 text-success-800 ring-success-100",
  joining: "bg-brand-50 text-brand-800 ring-brand-200",
  reconnecting: "bg-warning-50 text-warning-800 ring-warning-200",
  offline: "bg-slate-100 text-slate-800 ring-slate-300",
};

/** The phase as words: the live region reads these (the countdown next to them is visual only). */
export function statusWords(phase: RoomPhase): string {
  switch (phase) {
    case "connected":
      return "Connected";
    case "joining":
      return "Joining…";
    case "idle":
    case "ready":
      return "Not joined yet";
    case "reconnecting":
      return "Reconnecting";
    case "offline":
      return "Offline";
    case "left":
      return "Not in the room";
    case "replaced":
      return "Closed: too many tabs";
    case "removed":
      return "Removed by the instructor";
    case "ended":
      return "Session ended";
    case "signed-out":
      return "Signed out";
    case "failed":
      return "Not connected";
  }
}

/**
 * The connection indicator: a polite live region announces each change of phase ("Connected",
 * "Reconnecting", "Offline"); the seconds to the next attempt tick visually beside it, and "Retry
 * now" skips the wait.
 */
export function ConnectionStatus({
  state,
  onRetry,
  media,
  className,
}: {
  state: RoomState;
  onRetry: () => void;
  /** The media status (a live region of its own), beside the connection's. */
  media?: ReactNode;
  className?: string;
}) {
  const { phase, retryAt } = state;
  const waiting = (phase === "reconnecting" || phase === "offline") && retryAt !== null;
  const now = useTicker(waiting, 250, 0);
  const tone = TONES[phase] ?? "bg-white text-slate-700 ring-slate-200";
  return (
    <div className={cn("flex flex-wrap items-center gap-2", className)}>
      <div
        role="status"
        aria-live="polite"
        aria-atomic="true"
        data-testid="connection-status"
        data-phase={phase}
        className={cn(
          "inline-flex min-h-9 items-center gap-2 rounded-full px-3 py-1.5 text-sm font-semibold ring-1 ring-inset",
          tone,
        )}
      >
        <Dot phase={phase} />
        <span>{statusWords(phase)}</span>
        {phase === "reconnecting" || phase === "offline" ? (
          <span aria-hidden="true" className="font-medium tabular-nums opacity-90" data-testid="retry-countdown">
            {waiting && now > 0 ? `· retry in ${secondsUntil(retryAt, now)} s` : "· trying…"}
          </span>
        ) : null}
      </div>
      {phase === "reconnecting" || phase === "offline" ? (
        <Button variant="ghost" size="sm" onClick={onRetry} disabled={!waiting} className="min-h-9 px-3">
          <RefreshIcon className="size-4" />
          Retry now
        </Button>
      ) : null}
      {media}
    </div>
  );
}

function Dot({ phase }: { phase: RoomPhase }) {
  if (phase === "connected") {
    return (
      <span className="relative flex size-2.5" aria-hidden="true">
        <span className="absolute inline-flex size-full animate-live-ping rounded-full bg-success-600 opacity-60" />
        <span className="relative inline-flex size-2.5 rounded-full bg-success-600" />
      </span>
    );
  }
  if (phase === "offline") return <WifiOffIcon className="size-4" />;
  if (phase === "joining" || phase === "reconnecting") return <Spinner className="size-3.5" />;
  return <span className="size-2.5 rounded-full bg-slate-400" aria-hidden="true" />;
}
