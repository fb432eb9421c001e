import type { ParticipantEvent, ParticipantView } from "@livehall/api";
import { describe, expect, test } from "vitest";
import {
  EMPTY_PARTICIPANTS,
  applyParticipantEvent,
  hasStaleGap,
  initialParticipants,
  sortedParticipants,
  type ParticipantsState,
} from "./participants";

const person = (userId: string, overrides: Partial<ParticipantView> = {}): ParticipantView => ({
  userId,
  name: `User ${userId}`,
  joinedAt: `2026-03-04T12:00:0${userId.length % 10}.000Z`,
  connections: 1,
  isInstructor: false,
  ...overrides,
});

const snapshot = (seq: number, participants: ParticipantView[]): ParticipantEvent => ({
  type: "snapshot",
  seq,
  status: "LIVE",
  media: { available: true, feeds: [] },
  participants,
  participantCount: participants.length,
});
const joined = (
  seq: number,
  userId: string,
  count: number,
  overrides: Partial<ParticipantView> = {},
  type: "joined" | "updated" = "joined",
): ParticipantEvent => ({
  type,
  seq,
  participant: person(userId, overrides),
  participantCount: count,
});
const left = (seq: number, userIds: string[], count: number): ParticipantEvent => ({
  type: "left",
  seq,
  userIds,
  reason: "LEFT",
  participantCount: count,
});

const ids = (state: ParticipantsState) => [...state.participants.keys()].sort();
const apply = (events: ParticipantEvent[], from: ParticipantsState = EMPTY_PARTICIPANTS, now = 0) =>
  events.reduce((state, event) => applyParticipantEvent(state, event, now), from);

describe("the participants of a room from session.onParticipants", () => {
  test("a snapshot, then deltas in seq order: one entry per user, the count from the server", () => {
    const state = apply([snapshot(4, [person("a")]), joined(5, "b", 2), joined(6, "c", 3), left(7, ["a"], 2)]);
    expect(ids(state)).toEqual(["b", "c"]);
    expect(state.participantCount).toBe(2);
    expect(state.seq).toBe(7);
  });

  test("an updated event (another tab) replaces the user's entry instead of adding one", () => {
    const state = apply([snapshot(1, [person("a")]), joined(2, "a", 1, { connections: 2 }, "updated")]);
    expect(ids(state)).toEqual(["a"]);
    expect(state.participants.get("a")?.connections).toBe(2);
  });

  test("deltas at or below the snapshot's seq are already in it and are ignored", () => {
    const state = apply([snapshot(10, [person("a")]), left(9, ["a"], 0), left(10, ["a"], 0)]);
    expect(ids(state)).toEqual(["a"]);
    expect(state.participantCount).toBe(1);
  });

  test("a delta ahead of a gap waits for the missing one, then both apply in order", () => {
    let state = apply([snapshot(1, []), joined(3, "c", 2)], EMPTY_PARTICIPANTS, 1_000);
    expect(ids(state)).toEqual([]);
    expect(state.pending.size).toBe(1);
    expect(hasStaleGap(state, 2_000, 2_000)).toBe(false);
    expect(hasStaleGap(state, 3_500, 2_000)).toBe(true);
    state = applyParticipantEvent(state, joined(2, "b", 1));
    expect(ids(state)).toEqual(["b", "c"]);
    expect(state.participantCount).toBe(2);
    expect(state.pending.size).toBe(0);
    expect(state.pendingSince).toBeNull();
  });

  test("a count-only update (a large room) changes the count, not the list, and stands for its seqs", () => {
    const counted = (firstSeq: number, seq: number, participantCount: number): ParticipantEvent => ({
      type: "count",
      firstSeq,
      seq,
      participantCount,
    });
    let state = apply([snapshot(4, [person("a")]), counted(5, 9, 6), joined(10, "b", 7)]);
    expect(ids(state)).toEqual(["a", "b"]);
    expect(state.participantCount).toBe(7);
    expect(state.seq).toBe(10);
    // Ahead of a gap it waits; the missing change releases it, and a later one follows.
    state = apply([counted(13, 15, 10), left(16, ["a"], 9), left(11, ["b"], 6)], state);
    expect(state.pending.size).toBe(2);
    state = applyParticipantEvent(state, counted(12, 12, 7));
    expect(ids(state)).toEqual([]);
    expect([state.seq, state.participantCount, state.pending.size]).toEqual([16, 9, 0]);
    // Partly applied already (overlapping what came before): the changes past it still count.
    state = apply([counted(15, 18, 12)], state);
    expect([state.seq, state.participantCount]).toEqual([18, 12]);
    // A counted student opening a second tab is an update of someone the list does not hold.
    state = apply([joined(19, "late", 12, { connections: 2 }, "updated")], state);
    expect(ids(state)).toEqual([]);
    expect(state.seq).toBe(19);
  });

  test("a fresh snapshot (a reconnected stream) replaces everything, including a stale gap", () => {
    const before = apply([snapshot(1, [person("a"), person("b")]), joined(5, "x", 3)]);
    expect(before.pending.size).toBe(1);
    const after = applyParticipantEvent(before, snapshot(8, [person("c")]));
    expect(ids(after)).toEqual(["c"]);
    expect(after.pending.size).toBe(0);
    expect(after.seq).toBe(8);
  });

  test("deltas before any snapshot wait for it; those the snapshot covers are dropped", () => {
    const state = apply([joined(3, "late", 1), joined(6, "newer", 2), snapshot(5, [person("late")])]);
    expect(ids(state)).toEqual(["late", "newer"]);
    expect(state.seq).toBe(6);
  });

  test("the session ending clears the list", () => {
    const state = apply([snapshot(1, [person("a")]), { type: "status", seq: 2, status: "ENDED", participantCount: 0 }]);
    expect(state.status).toBe("ENDED");
    expect(ids(state)).toEqual([]);
    expect(state.participantCount).toBe(0);
  });

  test("the server-rendered list seeds the state until the first snapshot", () => {
    const seeded = initialParticipants([person("a")], "LIVE");
    expect(seeded.seq).toBeNull();
    expect(seeded.participantCount).toBe(1);
    expect(ids(applyParticipantEvent(seeded, snapshot(3, [person("b")])))).toEqual(["b"]);
  });

  test("sorted for display: the instructor first, then by arrival", () => {
    const state = apply([
      snapshot(1, [
        person("s2", { joinedAt: "2026-03-04T12:00:02.000Z" }),
        person("s1", { joinedAt: "2026-03-04T12:00:01.000Z" }),
        person("t", { joinedAt: "2026-03-04T12:00:09.000Z", isInstructor: true }),
      ]),
    ]);
    expect(sortedParticipants(state).map((p) => p.userId)).toEqual(["t", "s1", "s2"]);
  });
});
