import { Badge, LiveDot } from "../ui";
import type { SessionStatus } from "./types";

export function SessionStatusBadge({ status }: { status: SessionStatus }) {
  switch (status) {
    case "LIVE":
      return (
        <Badge tone="live">
          <LiveDot />
          LIVE
        </Badge>
      );
    case "SCHEDULED":
      return <Badge tone="upcoming">Upcoming</Badge>;
    case "ENDED":
      return <Badge tone="ended">Ended</Badge>;
    case "CANCELLED":
      return <Badge tone="cancelled">Cancelled</Badge>;
  }
}
