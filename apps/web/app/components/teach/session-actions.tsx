import { useFetcher } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { formatLocal, formatRelative } from "../../lib/time";
import { Alert, Button, ButtonLink, cn } from "../ui";
import { ConfirmButton, ConfirmDialog } from "../ui/confirm-dialog";
import { plural } from "./format";
import { browserTimeZone } from "./session-form";
import type { SessionStatus, TeachActionResult } from "./types";

export type SessionIntent = "start" | "end" | "cancel" | "duplicate";

/** The action every session command goes to (the session page's), from whichever page it is pressed. */
export const sessionActionPath = (sessionId: string) => `/teach/sessions/${sessionId}`;

/** What ending does to the people in the room, with their number when the page knows it. */
function endDescription(peopleInRoom: number | undefined): string {
  const who =
    peopleInRoom === undefined
      ? "Everyone in the room"
      : `Everyone in the room (${plural(peopleInRoom, "person", "people")})`;
  return `${who} will see that the session has ended. It moves to Ended and its attendance becomes final.`;
}

/**
 * What can be done with one session now. Before it starts: start, edit, cancel. While live: end
 * (never "cancel": what happened stays on record). Always: duplicate. End and cancel ask first (both
 * close the session for everyone); a start well before the planned time asks when the server says
 * so. Each session has its own fetcher, so its buttons show their own pending state and errors; a
 * success is reported through `onDone` (a toast).
 */
export function SessionActions({
  session,
  compact = false,
  endOnly = false,
  peopleInRoom,
  onDone,
  className,
}: {
  session: { id: string; title: string; status: SessionStatus };
  /** In a list row: short labels, no End (the live session's own page has it), Edit as a link. */
  compact?: boolean;
  /** In the room: only End (cancelling is for the control page). */
  endOnly?: boolean;
  /** How many people are in the room now, for the End confirmation. */
  peopleInRoom?: number;
  onDone?: (result: Extract<TeachActionResult, { ok: true }>) => void;
  className?: string;
}) {
  const fetcher = useFetcher<TeachActionResult>({ key: `session-action:${session.id}` });
  const busy = fetcher.state !== "idle" ? (fetcher.formData?.get("intent") as SessionIntent | null) : null;
  const earlyStart = useRef<HTMLDialogElement>(null);
  // Only an answer to a start sent from here asks: the fetcher (shared by key) keeps its last answer
  // after the start's redirect, and the session page mounts these buttons again.
  const askIfEarly = useRef(false);
  const submit = (intent: SessionIntent, extra: Record<string, string> = {}) => {
    askIfEarly.current = intent === "start";
    fetcher.submit({ intent, ...extra }, { method: "post", action: sessionActionPath(session.id) });
  };

  const reported = useRef<unknown>(null);
  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data || reported.current === fetcher.data) return;
    reported.current = fetcher.data;
    if (fetcher.data.ok) onDone?.(fetcher.data);
    else if (fetcher.data.reason === "STARTS_LATER" && askIfEarly.current) earlyStart.current?.showModal();
    askIfEarly.current = false;
  }, [fetcher.state, fetcher.data, onDone]);
  const failure = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data : null;
  const plannedAt = failure?.reason === "STARTS_LATER" && failure.at ? new Date(failure.at) : null;
  const name = (verb: string) => `${verb}: ${session.title}`;
  const scheduled = session.status === "SCHEDULED";

  return (
    <div className={cn("flex flex-col items-stretch gap-2 sm:items-end", className)}>
      <div className="flex flex-wrap items-center gap-2">
        {scheduled ? (
          <Button
            size="sm"
            pending={busy === "start"}
            onClick={() => submit("start")}
            aria-label={compact ? name("Start") : undefined}
          >
            {busy === "start" ? "Starting…" : compact ? "Start" : "Start session"}
          </Button>
        ) : null}
        {scheduled && compact ? (
          <ButtonLink
            to={`${sessionActionPath(session.id)}#edit`}
            variant="secondary"
            size="sm"
            aria-label={name("Edit")}
          >
            Edit
          </ButtonLink>
        ) : null}
        {session.status === "LIVE" && !compact ? (
          <ConfirmButton
            variant="live"
            confirmVariant="live"
            pending={busy === "end"}
            title="End this session for everyone?"
            description={endDescription(peopleInRoom)}
            confirmLabel="End session"
            cancelLabel="Keep it live"
            onConfirm={() => submit("end")}
          >
            {busy === "end" ? "Ending…" : "End session"}
          </ConfirmButton>
        ) : null}
        {!endOnly ? (
          <Button
            size="sm"
            variant={compact ? "ghost" : "secondary"}
            pending={busy === "duplicate"}
            aria-label={compact ? name("Duplicate") : undefined}
            onClick={() => submit("duplicate", { timeZone: browserTimeZone() })}
          >
            {busy === "duplicate" ? "Duplicating…" : compact ? "Duplicate" : "Duplicate session"}
          </Button>
        ) : null}
        {scheduled && !endOnly ? (
          <ConfirmButton
            variant={compact ? "ghost" : "secondary"}
            confirmVariant="live"
            pending={busy === "cancel"}
            aria-label={compact ? name("Cancel") : undefined}
            title="Cancel this session?"
            description="Students see it as cancelled. This cannot be undone; schedule a new session to replace it."
            confirmLabel="Cancel session"
            cancelLabel="Keep it"
            onConfirm={() => submit("cancel")}
          >
            {busy === "cancel" ? "Cancelling…" : compact ? "Cancel" : "Cancel session"}
          </ConfirmButton>
        ) : null}
      </div>
      <ConfirmDialog
        ref={earlyStart}
        title="Start this session early?"
        description={
          plannedAt
            ? `It is planned for ${formatLocal(plannedAt)} (${formatRelative(plannedAt, new Date())}). Students can join as soon as it is live.`
            : "It is planned for later. Students can join as soon as it is live."
        }
        confirmLabel="Start now"
        cancelLabel="Not yet"
        onConfirm={() => submit("start", { early: "1" })}
      />
      {failure?.errors.form && failure.reason !== "STARTS_LATER" ? (
        <Alert tone="error" className="max-w-md">
          {failure.errors.form}
        </Alert>
      ) : null}
    </div>
  );
}
