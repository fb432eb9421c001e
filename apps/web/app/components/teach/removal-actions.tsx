import { useFetcher } from "@remix-run/react";
import { Alert, Button } from "../ui";
import { ConfirmButton } from "../ui/confirm-dialog";
import { sessionActionPath } from "./session-actions";
import type { TeachActionResult } from "./types";

/**
 * "Remove from session" for one person (the course's instructor or an admin, in the room or on the
 * control page): after a confirmation every tab of theirs leaves, and they cannot join again until
 * let back in. Posts to the session's control page action, like the other session commands.
 */
export function RemoveParticipantButton({
  sessionId,
  person,
}: {
  sessionId: string;
  person: { userId: string; name: string };
}) {
  const fetcher = useFetcher<TeachActionResult>({ key: `remove:${sessionId}:${person.userId}` });
  const failure = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data : null;
  return (
    <div className="flex flex-col items-center gap-1">
      <ConfirmButton
        variant="ghost"
        confirmVariant="live"
        pending={fetcher.state !== "idle"}
        aria-label={`Remove ${person.name} from this session`}
        title={`Remove ${person.name} from this session?`}
        description="They leave the room in every tab they have open, see that you removed them, and cannot join again until you let them back in."
        confirmLabel="Remove"
        cancelLabel="Keep them"
        className="min-h-9 px-3 text-xs"
        onConfirm={() =>
          fetcher.submit(
            { intent: "remove", userId: person.userId },
            { method: "post", action: sessionActionPath(sessionId) },
          )
        }
      >
        Remove
      </ConfirmButton>
      {failure?.errors.form ? (
        <Alert tone="error" className="text-xs">
          {failure.errors.form}
        </Alert>
      ) : null}
    </div>
  );
}

/** "Let back in" for someone removed from the session: they may join again (they still press Join). */
export function ReadmitButton({ sessionId, person }: { sessionId: string; person: { userId: string; name: string } }) {
  const fetcher = useFetcher<TeachActionResult>({ key: `readmit:${sessionId}:${person.userId}` });
  const failure = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data : null;
  return (
    <fetcher.Form method="post" action={sessionActionPath(sessionId)} className="flex flex-col items-end gap-1">
      <input type="hidden" name="intent" value="readmit" />
      <input type="hidden" name="userId" value={person.userId} />
      <Button
        type="submit"
        variant="secondary"
        size="sm"
        pending={fetcher.state !== "idle"}
        aria-label={`Let ${person.name} back in`}
      >
        Let back in
      </Button>
      {failure?.errors.form ? (
        <Alert tone="error" className="text-xs">
          {failure.errors.form}
        </Alert>
      ) : null}
    </fetcher.Form>
  );
}
