import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Backdrop } from "../components/backdrop";
import { CalendarIcon } from "../components/icons";
import { CourseLink } from "../components/courses/enrollment";
import { RelativeTime } from "../components/sessions/session-time";
import { SessionStatusBadge } from "../components/sessions/status-badge";
import { useNow } from "../components/sessions/use-now";
import { ButtonLink, Card, EmptyState } from "../components/ui";
import { EyebrowPill, PageHeader } from "../components/ui/page-header";
import { withRedirectTo } from "../lib/redirect";
import { formatClock, formatDay, wallClock } from "../lib/time";
import { timeZoneHint } from "../lib/time-zone.server";
import { useAutoRevalidate } from "../lib/use-auto-revalidate";

export const meta: MetaFunction = () => [{ title: "My schedule · Livehall" }];

/**
 * The signed-in user's live and upcoming sessions across their courses, grouped by day in their time
 * zone (the hint cookie; UTC until the browser has sent it). The server groups and words the days and
 * times, so the page needs no JavaScript and the first paint is already local.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!context.auth.user) throw redirect(withRedirectTo("/login", "/schedule"));
  const sessions = await context.caller.session.schedule();
  const zone = timeZoneHint(request);
  const timeZone = zone ?? "UTC";
  const now = new Date();
  const days: { key: number; label: string; sessions: typeof sessions }[] = [];
  for (const session of sessions) {
    // A live session is where it is now: today.
    const at = session.status === "LIVE" ? now : session.startsAt;
    const key = wallClock(at, timeZone).dayKey;
    let day = days.find((candidate) => candidate.key === key);
    if (!day) days.push((day = { key, label: formatDay(at, timeZone, now), sessions: [] }));
    day.sessions.push(session);
  }
  return {
    days: days.map((day) => ({
      ...day,
      sessions: day.sessions.map((session) => ({
        ...session,
        clock: formatClock(
          session.startedAt && session.status === "LIVE" ? session.startedAt : session.startsAt,
          timeZone,
        ),
      })),
    })),
    timeZone,
    zoneKnown: zone !== null,
    now: now.toISOString(),
    refreshMs: context.services.config.timings.sessionsRefreshMs,
  };
}

export default function SchedulePage() {
  const { days, timeZone, zoneKnown, now: serverNow, refreshMs } = useLoaderData<typeof loader>();
  const now = useNow(serverNow);
  // Sessions start and end: the page follows, like the sessions page.
  useAutoRevalidate(refreshMs);
  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-4xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14 lg:px-8">
        <PageHeader
          eyebrow={<EyebrowPill>Your courses</EyebrowPill>}
          title="My schedule"
          description={
            <p>
              Live and upcoming sessions of the courses you&rsquo;re enrolled in or teach.{" "}
              <span data-testid="schedule-zone">
                Times are in {zoneKnown ? timeZone.replaceAll("_", " ") : "UTC"}
                {zoneKnown ? "" : " until your browser tells us its time zone"}.
              </span>
            </p>
          }
        />
        {days.length === 0 ? (
          <EmptyState
            className="mt-8"
            icon={<CalendarIcon className="size-6" />}
            title="Nothing on your schedule"
            action={
              <ButtonLink to="/sessions" variant="secondary">
                Find a course
              </ButtonLink>
            }
          >
            When a course you&rsquo;re enrolled in schedules a session, it shows up here.
          </EmptyState>
        ) : (
          <div className="mt-8 space-y-8">
            {days.map((day) => (
              <section key={day.key} aria-labelledby={`day-${day.key}`} data-testid="schedule-day">
                <h2 id={`day-${day.key}`} className="text-lg font-semibold tracking-tight text-slate-900">
                  {day.label}
                </h2>
                <ul className="mt-3 space-y-3">
                  {day.sessions.map((session) => (
                    <li key={session.id}>
                      <Card className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:gap-5 sm:p-5">
                        <p className="w-24 shrink-0 text-base font-semibold text-slate-900 tabular-nums">
                          <time
                            dateTime={new Date(session.startedAt ?? session.startsAt).toISOString()}
                            data-testid="schedule-time"
                          >
                            {session.clock}
                          </time>
                        </p>
                        <div className="min-w-0 flex-1">
                          <Link
                            to={`/sessions/${session.id}`}
                            className="font-semibold wrap-anywhere text-slate-900 underline-offset-4 hover:text-brand-700 hover:underline"
                          >
                            {session.title}
                          </Link>
                          <p className="mt-0.5 text-sm">
                            <CourseLink course={session.course} /> · {session.instructor.name}
                          </p>
                        </div>
                        <div className="flex shrink-0 items-center gap-3">
                          <SessionStatusBadge status={session.status} />
                          <RelativeTime
                            className="text-sm text-slate-600"
                            date={
                              new Date(
                                session.status === "LIVE" && session.startedAt ? session.startedAt : session.startsAt,
                              )
                            }
                            now={now}
                            prefix={session.status === "LIVE" ? "Started" : "Starts"}
                          />
                        </div>
                      </Card>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
