import { Link } from "@remix-run/react";
import { CalendarIcon, ClockIcon, UsersIcon } from "../icons";
import { AbsoluteTime, RelativeTime } from "../sessions/session-time";
import { RatingSummary } from "../sessions/stars";
import { ButtonLink, cn } from "../ui";
import { formatSpan } from "./format";
import { SessionActions } from "./session-actions";
import { SessionStatusBadge } from "../sessions/status-badge";
import type { TeachActionResult, TeachSession } from "./types";

function When({ session, now }: { session: TeachSession; now: Date }) {
  switch (session.status) {
    case "LIVE":
      return (
        <RelativeTime
          className="text-live-700"
          date={session.startedAt ?? session.startsAt}
          now={now}
          prefix="Started"
        />
      );
    case "SCHEDULED":
      return <RelativeTime className="text-brand-700" date={session.startsAt} now={now} prefix="Starts" />;
    case "ENDED":
      return <RelativeTime date={session.endedAt ?? session.startsAt} now={now} prefix="Ended" />;
    case "CANCELLED":
      return <span>Cancelled</span>;
  }
}

/** One session in a course's lists: status, when, length, people or rating, and what can be done now. */
export function SessionRow({
  session,
  now,
  onDone,
}: {
  session: TeachSession;
  now: Date;
  onDone: (result: Extract<TeachActionResult, { ok: true }>) => void;
}) {
  const to = `/teach/sessions/${session.id}`;
  return (
    <li
      data-testid="teach-session"
      data-status={session.status}
      className={cn(
        "flex flex-col gap-4 rounded-card border bg-white/60 p-4 shadow-card backdrop-blur-sm sm:flex-row sm:items-center sm:p-5",
        session.status === "LIVE" ? "border-live-200 ring-1 ring-live-100" : "border-white/70",
      )}
    >
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm font-medium text-slate-600">
          <SessionStatusBadge status={session.status} />
          <When session={session} now={now} />
        </div>
        <h3 title={session.title} className="mt-2 line-clamp-2 text-base font-semibold wrap-anywhere text-slate-900">
          <Link to={to} className="rounded underline-offset-4 hover:text-brand-700 hover:underline">
            {session.title}
          </Link>
        </h3>
        <p className="mt-1.5 flex flex-wrap items-center gap-x-5 gap-y-1 text-sm text-slate-600">
          <span className="inline-flex items-center gap-1.5">
            <CalendarIcon className="size-4 text-slate-500" />
            <AbsoluteTime date={session.startedAt ?? session.startsAt} />
          </span>
          <span className="inline-flex items-center gap-1.5">
            <ClockIcon className="size-4 text-slate-500" />
            {formatSpan(session.plannedDurationMinutes * 60_000)} planned
          </span>
          {session.status === "LIVE" ? (
            <span className="inline-flex items-center gap-1.5 font-medium text-live-700">
              <UsersIcon className="size-4" />
              {session.participantCount} in the room
            </span>
          ) : null}
          {session.status === "ENDED" ? (
            <RatingSummary average={session.rating.average} count={session.rating.count} />
          ) : null}
        </p>
      </div>
      <div className="flex shrink-0 flex-wrap items-center gap-2 sm:justify-end">
        {/* Always mounted: a cancelled session moves to Past, and its result (the toast) is reported from there. */}
        <SessionActions session={session} compact onDone={onDone} />
        {session.status === "LIVE" ? (
          <ButtonLink to={to} variant="live" size="sm" aria-label={`Run session: ${session.title}`}>
            Run session
          </ButtonLink>
        ) : null}
        {session.status === "ENDED" ? (
          <ButtonLink to={to} variant="secondary" size="sm" aria-label={`Attendance & ratings: ${session.title}`}>
            Attendance &amp; ratings
          </ButtonLink>
        ) : null}
        {session.status === "CANCELLED" ? (
          <ButtonLink to={to} variant="ghost" size="sm" aria-label={`Details: ${session.title}`}>
            Details
          </ButtonLink>
        ) : null}
      </div>
    </li>
  );
}
