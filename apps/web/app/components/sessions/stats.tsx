import type { ReactNode } from "react";
import { BroadcastIcon, CalendarIcon, StarIcon, UsersIcon } from "../icons";
import { Card, LiveDot, cn } from "../ui";
import type { SessionStats } from "./types";

function Stat({ label, value, detail, icon, iconClass, testId }: { label: string; value: ReactNode; detail: ReactNode; icon: ReactNode; iconClass: string; testId: string }) {
  return (
    <li>
      <Card className="h-full p-4 sm:p-5" data-testid={testId}>
        <div className="flex items-start justify-between gap-3">
          <p className="text-sm font-medium text-slate-600">{label}</p>
          <span className={cn("flex size-9 shrink-0 items-center justify-center rounded-xl", iconClass)}>{icon}</span>
        </div>
        <p className="mt-1 text-3xl font-bold tracking-tight text-slate-900 tabular-nums" data-testid={`${testId}-value`}>
          {value}
        </p>
        <p className="mt-1 text-xs text-slate-600">{detail}</p>
      </Card>
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
        iconClass="bg-live-50 text-live-600 ring-1 ring-live-100"
      />
      <Stat
        testId="stat-upcoming"
        label="Upcoming"
        value={stats.upcoming}
        detail="scheduled sessions"
        icon={<CalendarIcon className="size-5" />}
        iconClass="bg-brand-50 text-brand-600 ring-1 ring-brand-100"
      />
      <Stat
        testId="stat-participants"
        label="Participants now"
        value={stats.participantsNow}
        detail="in live rooms"
        icon={<UsersIcon className="size-5" />}
        iconClass="bg-success-50 text-success-700 ring-1 ring-success-100"
      />
      <Stat
        testId="stat-rating"
        label="Average rating"
        value={stats.averageRating === null ? "–" : stats.averageRating.toFixed(1)}
        detail={stats.ratingCount === 0 ? "no ratings yet" : `from ${stats.ratingCount} ${stats.ratingCount === 1 ? "rating" : "ratings"}`}
        icon={<StarIcon className="size-5" />}
        iconClass="bg-amber-50 text-amber-600 ring-1 ring-amber-100"
      />
    </ul>
  );
}
