import type { MediaIndicator } from "../../../lib/media/media-state";
import { Spinner, cn } from "../../ui";
import { VideoIcon, VideoOffIcon } from "../../icons";

const TONES: Record<MediaIndicator["tone"], string> = {
  live: "bg-success-50 text-success-800 ring-success-100",
  busy: "bg-brand-50 text-brand-800 ring-brand-200",
  warning: "bg-warning-50 text-warning-800 ring-warning-200",
  error: "bg-live-50 text-live-700 ring-live-200",
  neutral: "bg-white text-slate-700 ring-slate-200",
};

/**
 * The media half of the room's status indicator: a polite live region that announces each change
 * ("Video connecting…", "Video live", "Video reconnecting…", "Video cannot connect").
 */
export function MediaStatusPill({ indicator }: { indicator: MediaIndicator }) {
  const busy = indicator.kind === "connecting" || indicator.kind === "reconnecting";
  const off = indicator.kind === "off" || indicator.kind === "cannot-connect" || indicator.kind === "unavailable";
  return (
    <div
      role="status"
      aria-live="polite"
      aria-atomic="true"
      data-testid="media-status"
      data-media={indicator.kind}
      className={cn(
        "inline-flex min-h-9 items-center gap-2 rounded-full px-3 py-1.5 text-sm font-semibold ring-1 ring-inset",
        TONES[indicator.tone],
      )}
    >
      {busy ? (
        <Spinner className="size-3.5" />
      ) : off ? (
        <VideoOffIcon className="size-4" />
      ) : (
        <VideoIcon className="size-4" />
      )}
      <span>{indicator.words}</span>
    </div>
  );
}
