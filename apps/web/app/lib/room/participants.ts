import type { MediaStateView, ParticipantEvent, ParticipantView } from "@livehall/api";

export type SessionStatus = "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";

/**
 * The room's view of `session.onParticipants`: a snapshot replaces everything (every (re)connect of
 * the stream starts with one), then deltas are applied strictly in `seq` order. A delta at or below
 * the current seq is already included; one ahead of a gap waits in `pending` (by the first seq it
 * stands for) until the gap fills — if it never does (a lost publish), the connection asks for a fresh
 * snapshot (see `hasStaleGap`).
 */
export interface ParticipantsState {
  /** null until the first snapshot. */
  seq: number | null;
  status: SessionStatus | null;
  /** By user id: one entry per participant however many tabs they have. */
  participants: ReadonlyMap<string, ParticipantView>;
  participantCount: number;
  /** The session's media (which feeds are live); null until the first snapshot. */
  media: MediaStateView | null;
  /** Deltas that arrived ahead of a gap, by seq. */
  pending: ReadonlyMap<number, ParticipantEvent>;
  /** When the oldest pending delta arrived (ms), null without any. */
  pendingSince: number | null;
}

export const EMPTY_PARTICIPANTS: ParticipantsState = {
  seq: null,
  status: null,
  participants: new Map(),
  participantCount: 0,
  media: null,
  pending: new Map(),
  pendingSince: null,
};

/** Seeds the state from a server-rendered list (before the stream's snapshot arrives). */
export function initialParticipants(list: ParticipantView[] | null, status: SessionStatus | null): ParticipantsState {
  if (!list) return { ...EMPTY_PARTICIPANTS, status };
  return {
    ...EMPTY_PARTICIPANTS,
    status,
    participants: new Map(list.map((p) => [p.userId, p])),
    participantCount: list.length,
  };
}

function applyOne(state: ParticipantsState, event: ParticipantEvent): ParticipantsState {
  switch (event.type) {
    case "snapshot":
      return {
        ...state,
        seq: event.seq,
        status: event.status,
        participants: new Map(event.participants.map((p) => [p.userId, p])),
        participantCount: event.participantCount,
        media: event.media,
      };
    case "media":
      return { ...state, seq: event.seq, media: event.media };
    case "joined":
    case "updated": {
      // A user the list does not hold (counted, not listed, in a large room) stays out of it.
      if (event.type === "updated" && !state.participants.has(event.participant.userId))
        return { ...state, seq: event.seq, participantCount: event.participantCount };
      const participants = new Map(state.participants);
      participants.set(event.participant.userId, event.participant);
      return { ...state, seq: event.seq, participants, participantCount: event.participantCount };
    }
    case "left": {
      const participants = new Map(state.participants);
      for (const userId of event.userIds) participants.delete(userId);
      return { ...state, seq: event.seq, participants, participantCount: event.participantCount };
    }
    case "count":
      return { ...state, seq: event.seq, participantCount: event.participantCount };
    case "status": {
      const over = event.status === "ENDED" || event.status === "CANCELLED";
      return {
        ...state,
        seq: event.seq,
        status: event.status,
        participants: over ? new Map() : state.participants,
        participantCount: event.participantCount,
      };
    }
  }
}

/** Applies one event from the stream (at `now`, ms) and any pending deltas it makes contiguous. */
export function applyParticipantEvent(
  state: ParticipantsState,
  event: ParticipantEvent,
  now = Date.now(),
): ParticipantsState {
  if (event.type === "snapshot") {
    // A fresh snapshot supersedes everything, including deltas waiting on a gap at or below it.
    let next = applyOne({ ...state, pending: new Map(), pendingSince: null }, event);
    const later = [...state.pending.values()].filter((pending) => pending.seq > event.seq);
    for (const pending of later) next = applyParticipantEvent(next, pending, now);
    return next;
  }
  if (state.seq === null) {
    // Deltas before any snapshot wait for it.
    return withPending(state, event, now);
  }
  if (event.seq <= state.seq) return state;
  if (firstSeqOf(event) > state.seq + 1) return withPending(state, event, now);

  let next = applyOne(state, event);
  if (next.pending.size > 0) {
    const pending = new Map(next.pending);
    for (;;) {
      for (const [first, waiting] of pending) if (waiting.seq <= next.seq!) pending.delete(first);
      const following = [...pending.values()].find((waiting) => firstSeqOf(waiting) <= next.seq! + 1);
      if (!following) break;
      pending.delete(firstSeqOf(following));
      next = applyOne(next, following);
    }
    next = { ...next, pending, pendingSince: pending.size > 0 ? next.pendingSince : null };
  }
  return next;
}

/** The first change an event stands for: a count-only update stands for several. */
function firstSeqOf(event: ParticipantEvent): number {
  return event.type === "count" ? event.firstSeq : event.seq;
}

function withPending(state: ParticipantsState, event: ParticipantEvent, now: number): ParticipantsState {
  const pending = new Map(state.pending);
  pending.set(firstSeqOf(event), event);
  return { ...state, pending, pendingSince: state.pendingSince ?? now };
}

/** True when a gap has waited longer than `graceMs`: a delta was lost, ask for a new snapshot. */
export function hasStaleGap(state: ParticipantsState, now: number, graceMs: number): boolean {
  return state.pendingSince !== null && now - state.pendingSince > graceMs;
}

/** The list as shown: the instructor first, then by arrival, then by name. */
export function sortedParticipants(state: Pick<ParticipantsState, "participants">): ParticipantView[] {
  return [...state.participants.values()].sort(
    (a, b) =>
      Number(b.isInstructor) - Number(a.isInstructor) ||
      a.joinedAt.localeCompare(b.joinedAt) ||
      a.name.localeCompare(b.name) ||
      a.userId.localeCompare(b.userId),
  );
}
