import type { ParticipantView } from "@livehall/api";
import type { ReactNode } from "react";
import { initials } from "../initials";
import { UsersIcon } from "../icons";
import { Card, cn } from "../ui";

/** Past this many, the list shows the first ones and "and N more" (the count stays exact). */
const SHOWN = 48;

const AVATAR_TONES = [
  "from-brand-100 to-accent-100 text-brand-800 ring-brand-200",
  "from-success-50 to-success-100 text-success-800 ring-success-100",
  "from-amber-50 to-amber-100 text-amber-800 ring-amber-200",
  "from-accent-50 to-accent-100 text-accent-700 ring-accent-100",
  "from-sky-50 to-sky-100 text-sky-800 ring-sky-200",
];

function toneOf(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return AVATAR_TONES[Math.abs(hash) % AVATAR_TONES.length]!;
}

export function Avatar({
  name,
  userId,
  instructor,
  size = "md",
}: {
  name: string;
  userId: string;
  instructor?: boolean;
  size?: "md" | "lg";
}) {
  return (
    <span
      aria-hidden="true"
      className={cn(
        "relative flex shrink-0 items-center justify-center rounded-full bg-gradient-to-br font-bold ring-1",
        size === "lg" ? "size-14 text-base" : "size-10 text-xs",
        instructor
          ? "from-brand-600 to-accent-600 text-white shadow-md shadow-brand-600/25 ring-white"
          : toneOf(userId),
      )}
    >
      {initials(name)}
    </span>
  );
}

/**
 * Who is in the room, as tiles: one per user (however many tabs), the instructor first and marked,
 * the viewer marked "you", and `action` (the host's "Remove") under each. The count is the server's
 * (active participants in Postgres), carried by every event.
 */
export function ParticipantList({
  participants,
  count,
  viewerId,
  live,
  updating,
  action,
}: {
  participants: ParticipantView[];
  count: number;
  viewerId: string | null;
  live: boolean;
  /** The event stream is (re)connecting: the list may be behind. */
  updating: boolean;
  action?: ((participant: ParticipantView) => ReactNode) | undefined;
}) {
  const shown = participants.slice(0, SHOWN);
  const more = Math.max(0, count - shown.length);
  return (
    <Card
      as="section"
      aria-labelledby="participants-heading"
      className="@container p-5 sm:p-6"
      data-testid="participants"
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 id="participants-heading" className="text-lg font-semibold text-slate-900">
            In the room
          </h2>
          <p className="mt-0.5 text-sm text-slate-600">
            {updating ? "Updating the list…" : live ? "Updates live as people join and leave" : "Participants"}
          </p>
        </div>
        <p className="flex items-center gap-2 rounded-2xl bg-white/80 px-3.5 py-1.5 shadow-sm ring-1 ring-slate-900/5">
          <UsersIcon className="size-5 text-brand-600" />
          <span
            className="text-2xl font-bold tracking-tight text-slate-900 tabular-nums"
            data-testid="participant-count"
          >
            {count}
          </span>
          <span className="sr-only">{count === 1 ? "participant" : "participants"}</span>
        </p>
      </div>
      {shown.length === 0 ? (
        <p className="mt-5 rounded-control border border-dashed border-slate-300 px-4 py-10 text-center text-sm text-slate-600">
          {live ? "Nobody is here yet." : "Nobody is in the room."}
        </p>
      ) : (
        <ul
          className="mt-5 grid grid-cols-2 gap-3 @md:grid-cols-3 @3xl:grid-cols-4"
          aria-label="Participants"
          data-testid="participant-list"
        >
          {shown.map((participant) => {
            const you = participant.userId === viewerId;
            return (
              <li
                key={participant.userId}
                data-testid="participant"
                data-user-id={participant.userId}
                className={cn(
                  "flex min-w-0 flex-col items-center rounded-2xl bg-white/70 px-3 pt-5 pb-4 text-center ring-1 ring-slate-900/5",
                  participant.isInstructor && "bg-gradient-to-b from-brand-50 to-white/70 ring-brand-200",
                  you && !participant.isInstructor && "ring-2 ring-brand-200",
                )}
              >
                <Avatar
                  name={participant.name}
                  userId={participant.userId}
                  instructor={participant.isInstructor}
                  size="lg"
                />
                <p
                  className="mt-3 w-full truncate text-sm font-semibold text-slate-900"
                  data-testid="participant-name"
                  title={participant.name}
                >
                  {participant.name}
                </p>
                <div className="mt-1.5 flex min-h-6 flex-wrap items-center justify-center gap-1.5">
                  {you ? (
                    <span className="rounded-full bg-brand-50 px-2 py-0.5 text-xs font-semibold text-brand-700 ring-1 ring-brand-200 ring-inset">
                      You
                    </span>
                  ) : null}
                  {participant.isInstructor ? (
                    <span className="rounded-full bg-gradient-to-r from-brand-600 to-accent-600 px-2.5 py-0.5 text-xs font-semibold text-white">
                      Instructor
                    </span>
                  ) : null}
                </div>
                {action ? <div className="mt-2">{action(participant)}</div> : null}
              </li>
            );
          })}
        </ul>
      )}
      {more > 0 ? <p className="mt-4 text-sm text-slate-600">and {more} more</p> : null}
    </Card>
  );
}
