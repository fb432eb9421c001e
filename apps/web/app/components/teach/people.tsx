import { useFetcher } from "@remix-run/react";
import { UsersIcon } from "../icons";
import { initials } from "../initials";
import { AbsoluteTime, RelativeTime } from "../sessions/session-time";
import { Alert, Badge, Button, EmptyState, cn } from "../ui";
import { countLabel, driftTotal, formatElapsed, isContextCount, plural } from "./format";
import { ReadmitButton, RemoveParticipantButton } from "./removal-actions";
import { sessionActionPath } from "./session-actions";
import type { AttendanceRow, Participant, Removal, TeachActionResult } from "./types";

export function Avatar({ name, className }: { name: string; className?: string }) {
  return (
    <span
      className={cn(
        "flex size-9 shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-brand-100 to-accent-100 text-xs font-bold text-brand-800 ring-1 ring-brand-200",
        className,
      )}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}

function PersonCell({ name, isInstructor }: { name: string; isInstructor: boolean }) {
  return (
    <div className="flex items-center gap-3">
      <Avatar name={name} />
      <span className="min-w-0">
        <span className="block truncate font-medium text-slate-900">{name}</span>
        {isInstructor ? (
          <Badge tone="brand" className="mt-0.5 px-2 py-0.5">
            Instructor
          </Badge>
        ) : null}
      </span>
    </div>
  );
}

const tableShell = "overflow-x-auto rounded-card border border-white/70 bg-white/60 shadow-card backdrop-blur-sm";
const th =
  "px-3 py-3 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase first:pl-4 last:pr-4 sm:px-4 sm:first:pl-5 sm:last:pr-5";
const td = "px-3 py-3 align-middle first:pl-4 last:pr-4 sm:px-4 sm:first:pl-5 sm:last:pr-5";

/** Who is in the room now (one row per person), each but the instructor with "Remove". */
export function ParticipantsTable({
  sessionId,
  participants,
  now,
}: {
  sessionId: string;
  participants: Participant[];
  now: Date;
}) {
  if (participants.length === 0) {
    return (
      <EmptyState icon={<UsersIcon className="size-6" />} title="Nobody is in the room yet">
        Students who join show up here within seconds.
      </EmptyState>
    );
  }
  return (
    <div className={tableShell}>
      <table className="w-full min-w-[20rem] text-sm" data-testid="participants-table">
        <caption className="sr-only">People in the room now</caption>
        <thead className="border-b border-slate-200/80">
          <tr>
            <th scope="col" className={th}>
              Participant
            </th>
            <th scope="col" className={th}>
              Joined
            </th>
            <th scope="col" className={cn(th, "text-right")}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200/70">
          {participants.map((participant) => {
            const joinedAt = new Date(participant.joinedAt);
            return (
              <tr key={participant.userId} data-testid="participant-row" data-user-id={participant.userId}>
                <td className={td}>
                  <PersonCell name={participant.name} isInstructor={participant.isInstructor} />
                </td>
                <td className={cn(td, "text-slate-700")}>
                  <RelativeTime date={joinedAt} now={now} />
                  <span className="hidden text-xs text-slate-600 sm:block">
                    <AbsoluteTime date={joinedAt} />
                  </span>
                </td>
                <td className={cn(td, "text-right")}>
                  {participant.isInstructor ? null : (
                    <RemoveParticipantButton sessionId={sessionId} person={participant} />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Who was removed from the session, latest first, each with "Let back in". */
export function RemovedList({ sessionId, removals, now }: { sessionId: string; removals: Removal[]; now: Date }) {
  return (
    <ul className={cn(tableShell, "divide-y divide-slate-200/70")} data-testid="removed-list">
      {removals.map((removal) => (
        <li
          key={removal.userId}
          className="flex flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-5"
          data-testid="removed-row"
          data-user-id={removal.userId}
        >
          <div className="flex items-center gap-3">
            <Avatar name={removal.name} />
            <span className="min-w-0">
              <span className="block truncate text-sm font-medium text-slate-900">{removal.name}</span>
              <span className="block text-xs text-slate-600">
                <RelativeTime date={new Date(removal.removedAt)} now={now} prefix="Removed" />
              </span>
            </span>
          </div>
          <ReadmitButton sessionId={sessionId} person={removal} />
        </li>
      ))}
    </ul>
  );
}

/**
 * "Fix the list": runs the participants.dedupe clean-up for this session and shows what it fixed,
 * count by count, in words an instructor uses.
 */
export function CleanupParticipants({ sessionId }: { sessionId: string }) {
  const fetcher = useFetcher<TeachActionResult>({ key: `cleanup:${sessionId}` });
  const pending = fetcher.state !== "idle";
  const result = !pending && fetcher.data ? fetcher.data : null;
  const counts = result?.ok ? result.counts : undefined;
  const fixed = counts ? driftTotal(counts) : 0;

  return (
    <div className="rounded-card border border-white/70 bg-white/60 p-5 shadow-card backdrop-blur-sm">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="max-w-xl">
          <h3 className="text-base font-semibold text-slate-900">Fix the list of people in the room</h3>
          <p className="mt-1 text-sm text-slate-600">
            Checks who the list shows against who really has the session open: takes out anyone listed twice or who has
            closed the session, and forgets open tabs that belong to nobody. Livehall does this every few minutes on its
            own; run it now if the list looks wrong.
          </p>
        </div>
        <fetcher.Form method="post" action={sessionActionPath(sessionId)}>
          <input type="hidden" name="intent" value="cleanup" />
          <Button type="submit" variant="secondary" size="sm" pending={pending}>
            {pending ? "Fixing the list…" : "Fix the list"}
          </Button>
        </fetcher.Form>
      </div>
      {/* Always in the page and polite, so the result is read out while focus stays on the button. */}
      <div aria-live="polite" data-testid="cleanup-result">
        {result && !result.ok ? (
          <Alert tone="error" className="mt-4">
            {result.errors.form ?? "The clean-up did not run. Try again."}
          </Alert>
        ) : null}
        {counts ? (
          <Alert
            tone={fixed > 0 ? "success" : "info"}
            className="mt-4"
            title={fixed > 0 ? `Clean-up made ${plural(fixed, "change")}` : "Clean-up finished: nothing to fix"}
          >
            <dl className="mt-2 grid gap-x-6 gap-y-1 sm:grid-cols-2">
              {Object.entries(counts).map(([key, value]) => (
                <div key={key} className="flex justify-between gap-4">
                  <dt className={cn(isContextCount(key) && "text-slate-600")}>{countLabel(key)}</dt>
                  <dd className="font-semibold tabular-nums">{value}</dd>
                </div>
              ))}
            </dl>
          </Alert>
        ) : null}
      </div>
    </div>
  );
}

const LEAVE_REASON: Record<NonNullable<AttendanceRow["leaveReason"]>, { label: string; className: string }> = {
  LEFT: { label: "Left", className: "bg-slate-100 text-slate-700 ring-slate-200" },
  ENDED: { label: "Until the end", className: "bg-success-50 text-success-800 ring-success-100" },
  TIMEOUT: { label: "Timed out", className: "bg-warning-50 text-warning-800 ring-warning-200" },
  DUPLICATE: { label: "Duplicate closed", className: "bg-slate-100 text-slate-700 ring-slate-200" },
  REMOVED: { label: "Removed", className: "bg-live-50 text-live-700 ring-live-200" },
  UNENROLLED: { label: "Left the course", className: "bg-slate-100 text-slate-700 ring-slate-200" },
};

/** Who attended and for how long, with a bar against the length of the session. */
export function AttendanceTable({
  rows,
  sessionMs,
  total,
  csvHref,
}: {
  rows: AttendanceRow[];
  sessionMs: number;
  total: number;
  /** The CSV export of the whole report. */
  csvHref: string;
}) {
  if (rows.length === 0) {
    return (
      <EmptyState icon={<UsersIcon className="size-6" />} title="Nobody attended">
        No one joined this session.
      </EmptyState>
    );
  }
  return (
    <div>
      <div className={tableShell}>
        <table className="w-full min-w-[56rem] text-sm" data-testid="attendance-table">
          <caption className="sr-only">Attendance: who joined, when, and for how long</caption>
          <thead className="border-b border-slate-200/80">
            <tr>
              <th scope="col" className={th}>
                Participant
              </th>
              <th scope="col" className={th}>
                Time attended
              </th>
              <th scope="col" className={th}>
                First joined
              </th>
              <th scope="col" className={th}>
                Last left
              </th>
              <th scope="col" className={cn(th, "text-right")}>
                Visits
              </th>
              <th scope="col" className={cn(th, "text-right")}>
                Messages
              </th>
              <th scope="col" className={cn(th, "text-right")}>
                Questions
              </th>
              <th scope="col" className={cn(th, "text-right")}>
                Hands raised
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200/70">
            {rows.map((row) => {
              const share = sessionMs > 0 ? Math.min(100, Math.round((row.attendedMs / sessionMs) * 100)) : 0;
              const reason = row.leaveReason ? LEAVE_REASON[row.leaveReason] : null;
              return (
                <tr key={row.userId} data-testid="attendance-row">
                  <td className={td}>
                    <PersonCell name={row.name} isInstructor={row.isInstructor} />
                  </td>
                  <td className={td}>
                    <span className="font-semibold text-slate-900 tabular-nums" data-testid="attended-duration">
                      {formatElapsed(row.attendedMs)}
                    </span>
                    <span className="mt-1.5 flex items-center gap-2">
                      <span className="h-1.5 w-24 overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
                        <span
                          className="block h-full rounded-full bg-gradient-to-r from-brand-500 to-accent-500"
                          style={{ width: `${share}%` }}
                        />
                      </span>
                      <span className="text-xs text-slate-600 tabular-nums">{share}% of the session</span>
                    </span>
                  </td>
                  <td className={cn(td, "text-slate-700")}>
                    <AbsoluteTime date={new Date(row.firstJoinedAt)} />
                  </td>
                  <td className={cn(td, "text-slate-700")}>
                    {row.active ? (
                      <span className="font-medium text-success-800">Still in the room</span>
                    ) : (
                      <span className="flex flex-col items-start gap-1">
                        {row.lastLeftAt ? <AbsoluteTime date={new Date(row.lastLeftAt)} /> : null}
                        {reason ? (
                          <span
                            className={cn(
                              "rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset",
                              reason.className,
                            )}
                          >
                            {reason.label}
                          </span>
                        ) : null}
                      </span>
                    )}
                  </td>
                  <td className={cn(td, "text-right font-medium text-slate-900 tabular-nums")}>{row.visits}</td>
                  <td className={cn(td, "text-right text-slate-900 tabular-nums")}>{row.messagesSent}</td>
                  <td className={cn(td, "text-right text-slate-900 tabular-nums")}>{row.questionsAsked}</td>
                  <td className={cn(td, "text-right text-slate-900 tabular-nums")}>{row.handsRaised}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="mt-3 flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
        <p>{total > rows.length ? `Showing the first ${rows.length} of ${total} attendees.` : null}</p>
        <a
          href={csvHref}
          download
          className="inline-flex min-h-11 items-center font-semibold text-brand-700 underline-offset-4 hover:underline"
          data-testid="attendance-csv"
        >
          Download the attendance (CSV)
        </a>
      </div>
    </div>
  );
}
