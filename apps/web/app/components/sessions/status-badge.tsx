import { Badge, LiveDot } from "../ui";
import type { SessionItem } from "./types";

type SessionStatus = SessionItem["status"];

/** A session's status as a badge: a pulsing red LIVE, or Upcoming / Ended / Cancelled. */
export function SessionStatusBadge({ status, className }: { status: SessionStatus; className?: string }) {
  switch (status) {
    case "LIVE":
      return (
        <Badge tone="live" className={className}>
          <LiveDot />
          LIVE
        </Badge>
      );
    case "SCHEDULED":
      return (
        <Badge tone="upcoming" className={className}>
          Upcoming
        </Badge>
      );
    case "ENDED":
      return (
        <Badge tone="ended" className={className}>
          Ended
        </Badge>
      );
    case "CANCELLED":
      return (
        <Badge tone="cancelled" className={className}>
          Cancelled
        </Badge>
      );
  }
}
