import { CourseLink } from "../courses/enrollment";
import { ArrowRightIcon, CalendarIcon, ClockIcon, StarIcon, UsersIcon } from "../icons";
import { initials } from "../initials";
import { ButtonLink, Card, Skeleton, cn } from "../ui";
import { AbsoluteTime, RelativeTime } from "./session-time";
import { RatingSummary } from "./stars";
import { SessionStatusBadge } from "./status-badge";
import type { SessionItem } from "./types";

function When({ session, now }: { session: SessionItem; now: Date }) {
  const className = "text-sm font-medium text-slate-600";
  switch (session.status) {
    case "LIVE":
      return (
        <RelativeTime
          className={cn(className, "text-live-700")}
          date={session.startedAt ?? session.startsAt}
          now={now}
          prefix="Started"
        />
      );
    case "SCHEDULED":
      return (
        <RelativeTime className={cn(className, "text-brand-700")} date={session.startsAt} now={now} prefix="Starts" />
      );
    case "ENDED":
      return <RelativeTime className={className} date={session.endedAt ?? session.startsAt} now={now} prefix="Ended" />;
    case "CANCELLED":
      return <RelativeTime className={className} date={session.startsAt} now={now} prefix="Was planned" />;
  }
}

function Action({ session }: { session: SessionItem }) {
  const to = `/sessions/${session.id}`;
  // The visible word first, then which session (cards repeat the same words).
  const name = (verb: string) => `${verb}: ${session.title}`;
  switch (session.status) {
    case "LIVE":
      return (
        <ButtonLink to={to} variant="live" size="sm" aria-label={name("Join")}>
          Join
          <ArrowRightIcon className="size-4" />
        </ButtonLink>
      );
    case "SCHEDULED":
      return (
        <ButtonLink to={to} variant="secondary" size="sm" aria-label={name("Details")}>
          Details
        </ButtonLink>
      );
    case "ENDED":
      return (
        <ButtonLink to={`${to}#rate`} variant="secondary" size="sm" aria-label={name("Rate")}>
          <StarIcon className="size-4 text-amber-500" />
          Rate
        </ButtonLink>
      );
    case "CANCELLED":
      return (
        <ButtonLink to={to} variant="ghost" size="sm" aria-label={name("Details")}>
          Details
        </ButtonLink>
      );
  }
}

function Meta({ session }: { session: SessionItem }) {
  if (session.status === "LIVE") {
    const count = session.participantCount;
    return (
      <span className="inline-flex items-center gap-1.5 text-sm text-slate-700">
        <UsersIcon className="size-4 text-live-600" />
        <span>
          <span className="font-semibold text-slate-900" data-testid="participant-count">
            {count}
          </span>{" "}
          in the room
        </span>
      </span>
    );
  }
  if (session.status === "SCHEDULED") {
    return (
      <span className="inline-flex items-center gap-1.5 text-sm text-slate-700">
        <ClockIcon className="size-4 text-brand-600" />
        {session.plannedDurationMinutes} min session
      </span>
    );
  }
  if (session.status === "CANCELLED") return <span className="text-sm text-slate-600">Not held</span>;
  return <RatingSummary average={session.rating.average} count={session.rating.count} />;
}

export function SessionCard({ session, now }: { session: SessionItem; now: Date }) {
  const titleId = `session-${session.id}-title`;
  const live = session.status === "LIVE";
  return (
    <Card
      as="article"
      interactive
      aria-labelledby={titleId}
      data-testid="session-card"
      data-status={session.status}
      className={cn("group relative flex h-full flex-col overflow-hidden p-5 sm:p-6", live && "ring-1 ring-live-200")}
    >
      {live ? (
        <span
          className="absolute inset-x-0 top-0 h-1 bg-gradient-to-r from-live-500 to-accent-500"
          aria-hidden="true"
        />
      ) : null}
      <div className="flex items-center justify-between gap-3">
        <SessionStatusBadge status={session.status} />
        <When session={session} now={now} />
      </div>
      {/* Long titles stop at two lines (one for the course); the whole title is in the tooltip and on the session's page. */}
      <h3
        id={titleId}
        title={session.title}
        className="mt-4 line-clamp-2 text-lg leading-snug font-semibold wrap-anywhere text-slate-900"
      >
        {session.title}
      </h3>
      <p title={session.course.title} className="mt-1.5 line-clamp-1 text-sm wrap-anywhere">
        <CourseLink
          course={session.course}
          className="rounded font-semibold text-brand-700 underline-offset-4 hover:underline"
        />
      </p>
      <p className="mt-2 flex items-center gap-2 text-sm text-slate-700">
        <span
          className="flex size-6 shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-brand-100 to-accent-100 text-[0.625rem] font-bold text-brand-800"
          aria-hidden="true"
        >
          {initials(session.instructor.name)}
        </span>
        <span>
          <span className="sr-only">Instructor: </span>
          {session.instructor.name}
        </span>
      </p>
      {session.description ? (
        <p className="mt-3 line-clamp-2 text-sm leading-6 text-slate-600">{session.description}</p>
      ) : null}
      <div className="mt-auto">
        <p className="mt-4 flex items-center gap-1.5 text-sm text-slate-600">
          <CalendarIcon className="size-4 shrink-0 text-slate-500" />
          <span className="sr-only">Start time: </span>
          <AbsoluteTime date={session.startedAt && live ? session.startedAt : session.startsAt} />
        </p>
        {session.status === "LIVE" && session.rating.count > 0 ? (
          <div className="mt-2">
            <RatingSummary average={session.rating.average} count={session.rating.count} />
          </div>
        ) : null}
        <div className="mt-4 flex flex-wrap items-center justify-between gap-3 border-t border-slate-900/5 pt-4">
          <Meta session={session} />
          <Action session={session} />
        </div>
      </div>
    </Card>
  );
}

export function SessionCardSkeleton() {
  return (
    <Card className="flex h-full flex-col p-5 sm:p-6" data-testid="session-card-skeleton">
      <div className="flex items-center justify-between">
        <Skeleton className="h-6 w-20 rounded-full" />
        <Skeleton className="h-4 w-28" />
      </div>
      <Skeleton className="mt-5 h-5 w-4/5" />
      <Skeleton className="mt-3 h-4 w-3/5" />
      <Skeleton className="mt-4 h-4 w-full" />
      <Skeleton className="mt-2 h-4 w-2/3" />
      <div className="mt-6 flex items-center justify-between border-t border-slate-900/5 pt-4">
        <Skeleton className="h-4 w-24" />
        <Skeleton className="h-11 w-24 rounded-control" />
      </div>
    </Card>
  );
}
