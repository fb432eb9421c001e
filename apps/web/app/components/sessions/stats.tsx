import type { ComponentProps } from "react";
import { BroadcastIcon, CalendarIcon, StarIcon, UsersIcon } from "../icons";
import { LiveDot } from "../ui";
import { StatCard } from "../ui/stat";
import type { SessionStats } from "./types";

function Stat(props: ComponentProps<typeof StatCard>) {
  return (
    <li>
      <StatCard {...props} />
    </li>
  );
}

/** The headline numbers of the sessions page. */
export function SessionStatsBar({ stats }: { stats: SessionStats }) {
  return (
    <ul className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4" aria-label="At a glance">
      <Stat
        testId="stat-live"
        label="Live now"
        value={
          <span className="inline-flex items-center gap-2.5">
            {stats.liveNow}
            {stats.liveNow > 0 ? <LiveDot tone="red" /> : null}
          </span>
        }
        detail={stats.liveNow === 1 ? "session in progress" : "sessions in progress"}
        icon={<BroadcastIcon className="size-5" />}
        tone="live"
      />
      <Stat
        testId="stat-upcoming"
        label="Upcoming"
        value={stats.upcoming}
        detail="scheduled sessions"
        icon={<CalendarIcon className="size-5" />}
        tone="brand"
      />
      <Stat
        testId="stat-participants"
        label="People in rooms now"
        value={stats.participantsNow}
        detail="in live rooms"
        icon={<UsersIcon className="size-5" />}
        tone="success"
      />
      <Stat
        testId="stat-rating"
        label="Average rating"
        value={stats.averageRating === null ? "–" : stats.averageRating.toFixed(1)}
        detail={
          stats.ratingCount === 0
            ? "no ratings yet"
            : `from ${stats.ratingCount} ${stats.ratingCount === 1 ? "rating" : "ratings"}`
        }
        icon={<StarIcon className="size-5" />}
        tone="amber"
      />
    </ul>
  );
}
