import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { AreaErrorBoundary } from "../components/forbidden";
import { forbidden, managesCourse, orPageError, requireArea } from "../components/forbidden.server";
import { BroadcastIcon, CalendarIcon, ChatIcon, ClockIcon, StarIcon, UsersIcon } from "../components/icons";
import { Backdrop } from "../components/backdrop";
import { AbsoluteTime, RelativeTime } from "../components/sessions/session-time";
import { useNow } from "../components/sessions/use-now";
import { actionErrorFrom } from "../components/teach/action-errors.server";
import { formatElapsed, formatSpan, plural } from "../components/teach/format";
import { skipNoticeRevalidation, useNotice, withNotice } from "../components/teach/notice";
import { AttendanceTable, CleanupParticipants, ParticipantsTable, RemovedList } from "../components/teach/people";
import { RatingsPanel } from "../components/teach/ratings";
import { SessionActions } from "../components/teach/session-actions";
import { SessionForm } from "../components/teach/session-form";
import { readSessionForm, sessionFormError } from "../components/teach/session-form.server";
import { SessionStatusBadge } from "../components/sessions/status-badge";
import type { AttendanceRow, TeachActionResult } from "../components/teach/types";
import { initialParticipants, sortedParticipants } from "../lib/room/participants";
import { useRoom } from "../lib/room/use-room";
import { useAutoRevalidate } from "../lib/use-auto-revalidate";
import { Alert, ButtonLink, Card, LiveDot } from "../components/ui";
import { PageHeader, Section } from "../components/ui/page-header";
import { StatCard } from "../components/ui/stat";
import { ToastRegion, useToasts } from "../components/ui/toast";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.session.title ?? "Session"} · Teach · Livehall` },
];

/** The most rows the live list shows (the count stays exact). */
const LISTED = 500;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireArea(request, context, "teach");
  const sessionId = params.sessionId!;
  const notFound = "This session does not exist, or it was removed.";
  const session = await orPageError("teach", context.caller.session.byId({ sessionId }), notFound);
  if (!managesCourse(user, session.instructor.id)) throw forbidden("teach");

  const live = session.status === "LIVE";
  const over = session.status === "ENDED" || session.status === "CANCELLED";
  // The first paint of the live list (its first page); the event stream's snapshot takes over after
  // hydration and keeps it live.
  const [participants, removals, attendance, ratings] = await Promise.all([
    live ? context.caller.session.participants({ sessionId }) : null,
    live ? context.caller.session.removals({ sessionId }) : null,
    live || over ? context.caller.session.attendance({ sessionId }) : null,
    over ? context.caller.session.ratings({ sessionId }) : null,
  ]);
  const { sessionsRefreshMs, heartbeatIntervalMs, clientBackoff } = context.services.config.timings;
  return {
    session,
    participants,
    removals,
    attendance,
    ratings,
    now: new Date().toISOString(),
    /** Attendance and the removed list refresh at the other teach pages' pace; the live list streams. */
    refreshMs: sessionsRefreshMs,
    heartbeatIntervalMs,
    backoff: clientBackoff,
  };
}

export const shouldRevalidate = skipNoticeRevalidation;

/**
 * start, end, cancel, cleanup, remove and readmit (let back in) of this session (the course page's
 * and the room's buttons post here too).
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  requireArea(request, context, "teach");
  const sessionId = params.sessionId!;
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  try {
    switch (intent) {
      case "start": {
        await context.caller.session.start({ sessionId, early: form.get("early") === "1" });
        return redirect(withNotice(`/teach/sessions/${sessionId}`, "session-started"));
      }
      case "update": {
        const read = readSessionForm(form);
        if (read.errors) {
          return data<TeachActionResult>(
            { ok: false, intent, errors: read.errors, values: read.values },
            { status: 400 },
          );
        }
        try {
          await context.caller.session.update({ sessionId, ...read.session });
        } catch (error) {
          const { errors, status } = sessionFormError(error);
          return data<TeachActionResult>({ ok: false, intent, errors, values: read.values }, { status });
        }
        return data<TeachActionResult>({
          ok: true,
          intent,
          message: "Changes saved",
          detail: "Students see them now.",
        });
      }
      case "duplicate": {
        const copy = await context.caller.session.duplicate({
          sessionId,
          timeZone: String(form.get("timeZone") || "UTC"),
        });
        return redirect(withNotice(`/teach/sessions/${copy.id}`, "session-duplicated"));
      }
      case "end": {
        const session = await context.caller.session.end({ sessionId });
        return data<TeachActionResult>({
          ok: true,
          intent,
          message: `“${session.title}” has ended`,
          detail: "Attendance is final.",
        });
      }
      case "cancel": {
        const session = await context.caller.session.cancel({ sessionId });
        return data<TeachActionResult>({ ok: true, intent, message: `“${session.title}” is cancelled` });
      }
      case "remove":
      case "readmit": {
        const userId = String(form.get("userId") ?? "");
        if (intent === "remove") await context.caller.session.removeParticipant({ sessionId, userId });
        else await context.caller.session.readmitParticipant({ sessionId, userId });
        return data<TeachActionResult>({ ok: true, intent });
      }
      case "cleanup": {
        const counts = await context.caller.session.cleanupParticipants({ sessionId });
        return data<TeachActionResult>({ ok: true, intent, counts });
      }
      default:
        return data<TeachActionResult>(
          { ok: false, intent, errors: { form: "Unknown action. Reload the page and try again." } },
          { status: 400 },
        );
    }
  } catch (error) {
    const { errors, status, reason, at } = actionErrorFrom(error);
    return data<TeachActionResult>(
      { ok: false, intent, errors, ...(reason ? { reason } : {}), ...(at ? { at } : {}) },
      { status },
    );
  }
}

const NOTICES: Record<string, { title: string; body?: string }> = {
  "session-started": { title: "The session is live", body: "Students can join now. They appear below as they arrive." },
  "session-duplicated": {
    title: "Copy scheduled",
    body: "Same title, description and length. Change anything below before it starts.",
  },
};

export default function TeachSessionPage() {
  const data = useLoaderData<typeof loader>();
  const { session } = data;
  const live = session.status === "LIVE";
  const now = useNow(data.now, live ? 1_000 : 15_000);
  const { toasts, push, dismiss } = useToasts();
  useAutoRevalidate(data.refreshMs, live);
  // The live list follows the room's event stream (this page never joins the room).
  const [seed] = useState(() => initialParticipants(data.participants?.items ?? null, session.status));
  const { state: room } = useRoom({
    sessionId: session.id,
    enabled: live,
    userId: null,
    heartbeatIntervalMs: data.heartbeatIntervalMs,
    backoff: data.backoff,
    participants: seed,
  });
  useNotice(useCallback((notice: string) => NOTICES[notice] && push({ tone: "success", ...NOTICES[notice]! }), [push]));
  const onDone = useCallback(
    (result: Extract<TeachActionResult, { ok: true }>) =>
      push({ tone: "success", title: result.message ?? "Done", body: result.detail }),
    [push],
  );
  // The edit form posts to this page (not a fetcher): its answer is the action data.
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const reported = useRef<unknown>(null);
  useEffect(() => {
    if (!answer || reported.current === answer || !answer.ok) return;
    reported.current = answer;
    onDone(answer);
  }, [answer, onDone]);
  const editFailed = answer && !answer.ok && answer.intent === "update" ? answer : null;

  const startedAt = session.startedAt ? new Date(session.startedAt) : null;
  const endedAt = session.endedAt ? new Date(session.endedAt) : null;
  // How long it ran (or has run so far), for attendance shares.
  const ranMs = startedAt ? (endedAt ?? now).getTime() - startedAt.getTime() : 0;
  const everyone = sortedParticipants(room.participants);
  const listed = everyone.slice(0, LISTED);
  const participantCount = room.participants.participantCount;
  const removals = data.removals ?? [];

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-8 pb-16 sm:px-6 sm:pt-10 lg:px-8">
        <PageHeader
          crumbs={[
            { label: "Teach", to: "/teach" },
            { label: session.course.title, to: `/teach/courses/${session.course.id}` },
            { label: session.title },
          ]}
          eyebrow={
            <div
              className="flex flex-wrap items-center gap-3 text-sm font-medium text-slate-600"
              data-testid="session-status"
              data-status={session.status}
            >
              <SessionStatusBadge status={session.status} />
              {session.status === "LIVE" && startedAt ? (
                <span className="text-live-700">Live for {formatElapsed(now.getTime() - startedAt.getTime())}</span>
              ) : null}
              {session.status === "SCHEDULED" ? (
                <RelativeTime className="text-brand-700" date={new Date(session.startsAt)} now={now} prefix="Starts" />
              ) : null}
              {session.status === "ENDED" && endedAt ? <RelativeTime date={endedAt} now={now} prefix="Ended" /> : null}
            </div>
          }
          title={session.title}
          description={
            <p className="flex flex-wrap items-center gap-x-5 gap-y-1 text-sm">
              <span className="inline-flex items-center gap-1.5">
                <CalendarIcon className="size-4 text-slate-500" />
                {session.status === "SCHEDULED" || session.status === "CANCELLED" ? "Planned for" : "Started"}{" "}
                <AbsoluteTime date={startedAt ?? new Date(session.startsAt)} />
              </span>
              <span className="inline-flex items-center gap-1.5">
                <ClockIcon className="size-4 text-slate-500" />
                {formatSpan(session.plannedDurationMinutes * 60_000)} planned
              </span>
            </p>
          }
          actions={
            <>
              {live ? (
                // A tab of its own: this page stays open beside the room.
                <ButtonLink
                  to={`/sessions/${session.id}`}
                  target="_blank"
                  rel="noopener"
                  variant="secondary"
                  size="sm"
                  data-testid="open-room"
                >
                  Open the room
                  <span className="sr-only"> (opens in a new tab)</span>
                </ButtonLink>
              ) : null}
              {/* Always mounted, so ending reports its result after the page has switched to Ended. */}
              <SessionActions session={session} onDone={onDone} peopleInRoom={live ? participantCount : undefined} />
            </>
          }
        />
        {session.description ? (
          <p className="mt-4 max-w-3xl text-sm leading-relaxed text-slate-700">{session.description}</p>
        ) : null}

        {session.status === "SCHEDULED" ? (
          <div className="mt-10 grid gap-8 lg:grid-cols-[minmax(0,1fr)_26rem]">
            <Card className="flex flex-col items-start gap-4 self-start p-6 sm:flex-row sm:items-center">
              <span
                className="flex size-12 shrink-0 items-center justify-center rounded-2xl bg-brand-50 text-brand-700 ring-1 ring-brand-100"
                aria-hidden="true"
              >
                <BroadcastIcon className="size-6" />
              </span>
              <div>
                <h2 className="text-base font-semibold text-slate-900">Not started yet</h2>
                <p className="mt-1 text-sm text-slate-600">
                  Start the session when you are ready: students can join as soon as it is live, and you will see them
                  here, live. Until then you can change its details.
                </p>
              </div>
            </Card>
            <Card className="scroll-mt-24 p-5 sm:p-6" id="edit">
              <h2 className="text-lg font-semibold tracking-tight text-slate-900">Edit session</h2>
              <p className="mt-1 mb-5 text-sm text-slate-600">
                Students see the changes on the session page and in the list of sessions.
              </p>
              <SessionForm
                kind="update"
                // After a save the form shows the saved values (from the reloaded session).
                resetKey={`${session.title}\u0000${session.description}\u0000${String(session.startsAt)}\u0000${session.plannedDurationMinutes}`}
                startsAt={editFailed ? undefined : String(session.startsAt)}
                pending={navigation.state !== "idle" && navigation.formData?.get("intent") === "update"}
                errors={editFailed?.errors}
                values={
                  editFailed?.values ?? {
                    title: session.title,
                    description: session.description,
                    plannedDurationMinutes: String(session.plannedDurationMinutes),
                  }
                }
              />
            </Card>
          </div>
        ) : null}

        {live && data.participants ? (
          <>
            <ul className="mt-8 grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4" aria-label="Room at a glance">
              <li>
                <StatCard
                  label="In the room"
                  value={
                    <span className="inline-flex items-center gap-2.5" data-testid="participant-count">
                      {participantCount}
                      <LiveDot tone="red" />
                    </span>
                  }
                  detail={participantCount === 1 ? "person" : "people"}
                  icon={<UsersIcon className="size-5" />}
                  tone="live"
                />
              </li>
              <li>
                <StatCard
                  label="Removed"
                  value={removals.length}
                  detail={removals.length === 1 ? "person can't rejoin" : "people can't rejoin"}
                  icon={<BroadcastIcon className="size-5" />}
                />
              </li>
              <li>
                <StatCard
                  label="Joined so far"
                  value={data.attendance?.total ?? 0}
                  detail="different people"
                  icon={<UsersIcon className="size-5" />}
                  tone="success"
                />
              </li>
              <li>
                <StatCard
                  label="Time left"
                  value={startedAt ? formatSpan(Math.max(0, session.plannedDurationMinutes * 60_000 - ranMs)) : "–"}
                  detail={`of ${formatSpan(session.plannedDurationMinutes * 60_000)} planned`}
                  icon={<ClockIcon className="size-5" />}
                  tone="accent"
                />
              </li>
            </ul>
            <Section
              className="mt-10"
              id="participants"
              title="Participants"
              count={participantCount}
              description={
                <span
                  className="inline-flex items-center gap-2"
                  data-testid="participants-live"
                  data-stream={room.stream}
                >
                  <LiveDot tone="red" />
                  {room.stream === "reconnecting" ? "Updating the list…" : "Updates live as people join and leave."}
                  {everyone.length > listed.length ? ` Showing the first ${listed.length}.` : null}
                </span>
              }
            >
              <ParticipantsTable sessionId={session.id} participants={listed} now={now} />
            </Section>
            {removals.length > 0 ? (
              <Section
                className="mt-10"
                id="removed"
                title="Removed"
                count={removals.length}
                description="They cannot join this session again until you let them back in."
              >
                <RemovedList sessionId={session.id} removals={removals} now={now} />
              </Section>
            ) : null}
            <div className="mt-6">
              <CleanupParticipants sessionId={session.id} />
            </div>
            {data.attendance && data.attendance.total > 0 ? (
              <Section
                className="mt-10"
                id="attendance"
                title="Attendance so far"
                count={data.attendance.total}
                description={
                  <>
                    Everyone who joined, including those who left. <HostNote host={data.attendance.host} />
                  </>
                }
              >
                <AttendanceTable
                  rows={data.attendance.items}
                  total={data.attendance.total}
                  sessionMs={ranMs}
                  csvHref={`/teach/sessions/${session.id}/attendance.csv`}
                />
              </Section>
            ) : null}
          </>
        ) : null}

        {(session.status === "ENDED" || session.status === "CANCELLED") && data.attendance && data.ratings ? (
          <>
            {session.endedReason === "OVERRUN" ? (
              <Alert tone="info" className="mt-8" title="This session ended by itself">
                It ran well past its planned length while its instructor was not in the room, so Livehall ended it for
                everyone.
              </Alert>
            ) : null}
            {session.status === "CANCELLED" ? (
              <Alert tone="info" className="mt-8" title="This session was cancelled">
                {data.attendance.total > 0
                  ? "It was cancelled while live; the attendance up to then is below."
                  : "Nobody attended. Schedule a new session from the course page."}
              </Alert>
            ) : null}
            <ul className="mt-8 grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4" aria-label="Session at a glance">
              <li>
                <StatCard
                  label="Attendees"
                  value={data.attendance.total}
                  detail="different people joined"
                  icon={<UsersIcon className="size-5" />}
                  testId="stat-attendees"
                />
              </li>
              <li>
                <StatCard
                  label="Average time attended"
                  value={
                    data.attendance.averageAttendedMs === null ? "–" : formatElapsed(data.attendance.averageAttendedMs)
                  }
                  detail={ranMs > 0 ? `of ${formatElapsed(ranMs)} live` : "never went live"}
                  icon={<ClockIcon className="size-5" />}
                  tone="accent"
                />
              </li>
              <li>
                <StatCard
                  label="Average rating"
                  value={data.ratings.average === null ? "–" : data.ratings.average.toFixed(1)}
                  detail={data.ratings.count === 0 ? "no ratings yet" : `from ${plural(data.ratings.count, "rating")}`}
                  icon={<StarIcon className="size-5" />}
                  tone="amber"
                />
              </li>
              <li>
                <StatCard
                  label="Comments"
                  value={data.ratings.items.filter((item) => item.comment).length}
                  detail="written with a rating"
                  icon={<ChatIcon className="size-5" />}
                  tone="success"
                />
              </li>
            </ul>
            <Section
              className="mt-10"
              id="attendance"
              title="Attendance"
              count={data.attendance.total}
              description={
                <>
                  Who attended and for how long, over all their visits. <HostNote host={data.attendance.host} />
                </>
              }
            >
              <AttendanceTable
                rows={data.attendance.items}
                total={data.attendance.total}
                sessionMs={ranMs}
                csvHref={`/teach/sessions/${session.id}/attendance.csv`}
              />
            </Section>
            <Section className="mt-10" id="ratings" title="Ratings" count={data.ratings.count}>
              <RatingsPanel ratings={data.ratings} now={now} />
            </Section>
          </>
        ) : null}
      </div>
      <ToastRegion toasts={toasts} onDismiss={dismiss} />
    </div>
  );
}

/** The instructor's own time: shown apart, never counted among the attendees. */
function HostNote({ host }: { host: AttendanceRow | null }) {
  if (!host) return null;
  return (
    <span data-testid="host-attendance">
      The host, {host.name}, was in the room for {formatElapsed(host.attendedMs)} (not counted as an attendee).
    </span>
  );
}

export function ErrorBoundary() {
  return <AreaErrorBoundary area="teach" />;
}
