import { useFetcher } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { Alert, Button, cn } from "../ui";
import { ConfirmButton } from "../ui/confirm-dialog";
import { plural } from "./format";
import type { SessionStatus, TeachActionResult } from "./types";

export type SessionIntent = "start" | "end" | "cancel";

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
 * Start, end and cancel for one session, as its status allows: start at once, end and cancel after a
 * confirmation (both close the room for everyone). Each session has its own fetcher, so its buttons
 * show their own pending state and errors; a success is reported through `onDone` (a toast).
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
  /** In a list row: short labels, no End (the live session's own page has it). */
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
  const submit = (intent: SessionIntent) =>
    fetcher.submit({ intent }, { method: "post", action: sessionActionPath(session.id) });

  const reported = useRef<unknown>(null);
  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data || reported.current === fetcher.data) return;
    reported.current = fetcher.data;
    if (fetcher.data.ok) onDone?.(fetcher.data);
  }, [fetcher.state, fetcher.data, onDone]);
  const failure = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data : null;
  const name = (verb: string) => `${verb}: ${session.title}`;

  return (
    <div className={cn("flex flex-col items-stretch gap-2 sm:items-end", className)}>
      <div className="flex flex-wrap items-center gap-2">
        {session.status === "SCHEDULED" ? (
          <Button
            size="sm"
            pending={busy === "start"}
            onClick={() => submit("start")}
            aria-label={compact ? name("Start") : undefined}
          >
            {busy === "start" ? "Starting…" : compact ? "Start" : "Start session"}
          </Button>
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
        {!endOnly && (session.status === "SCHEDULED" || (session.status === "LIVE" && !compact)) ? (
          <ConfirmButton
            variant={compact ? "ghost" : "secondary"}
            confirmVariant="live"
            pending={busy === "cancel"}
            aria-label={compact ? name("Cancel") : undefined}
            title="Cancel this session?"
            description={
              session.status === "LIVE"
                ? "The session closes for everyone in the room and is listed as cancelled. This cannot be undone."
                : "Students see it as cancelled. This cannot be undone; schedule a new session to replace it."
            }
            confirmLabel="Cancel session"
            cancelLabel="Keep it"
            onConfirm={() => submit("cancel")}
          >
            {busy === "cancel" ? "Cancelling…" : compact ? "Cancel" : "Cancel session"}
          </ConfirmButton>
        ) : null}
      </div>
      {failure?.errors.form ? (
        <Alert tone="error" className="max-w-md">
          {failure.errors.form}
        </Alert>
      ) : null}
    </div>
  );
}
