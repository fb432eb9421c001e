import { StarIcon } from "../icons";
import { RelativeTime } from "../sessions/session-time";
import { Stars } from "../sessions/stars";
import { Card, EmptyState } from "../ui";
import { Avatar } from "./people";
import { plural } from "./format";
import type { Ratings } from "./types";

/** The ratings of a session: the average, how the stars are spread, and every rating with its comment. */
export function RatingsPanel({ ratings, now }: { ratings: Ratings; now: Date }) {
  if (ratings.count === 0 || ratings.average === null) {
    return (
      <EmptyState icon={<StarIcon className="size-6" />} title="No ratings yet">
        Attendees can rate the session from its page once it has ended.
      </EmptyState>
    );
  }
  const most = Math.max(1, ...ratings.distribution);
  return (
    <div className="grid gap-5 lg:grid-cols-[16rem_minmax(0,1fr)]">
      <Card className="p-5" data-testid="rating-summary">
        <p className="text-sm font-medium text-slate-600">Average rating</p>
        <p className="mt-1 flex items-baseline gap-2">
          <span className="text-4xl font-bold tracking-tight text-slate-900 tabular-nums">
            {ratings.average.toFixed(1)}
          </span>
          <span className="text-sm text-slate-600">out of 5</span>
        </p>
        <Stars value={ratings.average} className="mt-2" />
        <p className="mt-1 text-sm text-slate-600">from {plural(ratings.count, "rating")}</p>
        <ul className="mt-5 space-y-1.5" aria-label="Ratings by stars">
          {[5, 4, 3, 2, 1].map((stars) => {
            const count = ratings.distribution[stars - 1] ?? 0;
            return (
              <li key={stars} className="flex items-center gap-2 text-xs text-slate-600">
                <span className="w-12 shrink-0">{plural(stars, "star")}</span>
                <span className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
                  <span
                    className="block h-full rounded-full bg-amber-400"
                    style={{ width: `${(count / most) * 100}%` }}
                  />
                </span>
                <span className="w-6 shrink-0 text-right font-semibold text-slate-900 tabular-nums">{count}</span>
              </li>
            );
          })}
        </ul>
      </Card>
      <ul className="space-y-3" aria-label="Ratings and comments" data-testid="rating-comments">
        {ratings.items.map((item) => (
          <li key={item.userId}>
            <Card className="p-4 sm:p-5">
              <div className="flex items-start gap-3">
                <Avatar name={item.name} />
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
                    <p className="font-medium text-slate-900">{item.name}</p>
                    <RelativeTime className="text-xs text-slate-600" date={new Date(item.ratedAt)} now={now} />
                  </div>
                  <Stars value={item.stars} className="mt-1" />
                  {item.comment ? (
                    <p className="mt-2 text-sm leading-relaxed whitespace-pre-line text-slate-700">{item.comment}</p>
                  ) : (
                    <p className="mt-2 text-sm text-slate-600 italic">No comment.</p>
                  )}
                </div>
              </div>
            </Card>
          </li>
        ))}
      </ul>
    </div>
  );
}
