import type { REACTIONS } from "../limits";
import type { ParticipantEvent } from "./participant-events";

/**
 * What `session.onRoom` streams (docs/decisions/018). Type-only apart from a few constants, shared
 * with the browser. Every event reaches the client as tRPC's tracked `{ id, data }`: `id` is the
 * Redis Stream id of the last stored event the tab has (resume from it with `lastEventId`).
 */

export type Reaction = (typeof REACTIONS)[number];

/** Messages in the snapshot; older ones are paged (`session.chatHistory`). */
export const CHAT_SNAPSHOT_SIZE = 200;

export interface ChatMessageView {
  id: string;
  /** The sender's id for this message: a retried send with it stores nothing new. */
  clientMessageId: string;
  authorId: string;
  authorName: string;
  /** The author is the course's instructor. */
  authorIsHost: boolean;
  /** Plain text; never rendered as HTML. */
  body: string;
  isQuestion: boolean;
  votes: number;
  answeredAt: string | null;
  createdAt: string;
}

export interface HandView {
  /** One raise: lowering it and raising again is another id. */
  id: string;
  userId: string;
  name: string;
  raisedAt: string;
}

/** What only a joined tab sees: chat, questions, hands, mutes. */
export interface InteractionState {
  /** The last CHAT_SNAPSHOT_SIZE messages (questions included), oldest first. */
  messages: ChatMessageView[];
  /** Older messages exist (page them with `session.chatHistory`). */
  hasOlder: boolean;
  /** Every open question, however old (the host's list). */
  openQuestions: ChatMessageView[];
  /** Hands up, in raise order. */
  hands: HandView[];
  mutedUserIds: string[];
  /** Questions the viewer has upvoted. */
  myVotes: string[];
}

type ParticipantSnapshot = Extract<ParticipantEvent, { type: "snapshot" }>;

/**
 * Events stored in the room stream (and fanned out as they are stored), in the order of their ids.
 *
 * `participants` carries the participant stream's own events (with their `seq`), one stored event per
 * publish: a group-committed batch of joins is one entry. Media state (5/10) belongs here: once
 * `ParticipantEvent` has its `media` variant, it travels inside `participants` with no change to
 * this union, and the snapshot's `participants` carries whatever the participant snapshot carries.
 */
export type StoredRoomEvent =
  | { type: "participants"; events: ParticipantEvent[] }
  | { type: "chat.posted"; message: ChatMessageView }
  | { type: "chat.deleted"; messageId: string }
  | { type: "chat.muted"; userId: string; muted: boolean }
  | { type: "question.voted"; messageId: string; votes: number; userId: string }
  | { type: "question.answered"; messageId: string; answeredAt: string }
  | { type: "hand.raised"; hand: HandView }
  | { type: "hand.lowered"; handIds: string[]; userIds: string[] };

/** Not stored: sent on to the tabs subscribed at the moment, at most once per second and session. */
export interface ReactionsEvent {
  type: "reactions";
  counts: Partial<Record<Reaction, number>>;
}

export type RoomEvent =
  | StoredRoomEvent
  | ReactionsEvent
  /** First on every fresh (re)connect: the whole room as of the event's id. */
  | { type: "snapshot"; participants: ParticipantSnapshot; joined: boolean; interaction: InteractionState | null }
  /**
   * First on a resume: the events missed follow. `joined`: the viewer is in the room now, as of the
   * participant sequence `seq` (a change of theirs at or below it is already counted).
   */
  | { type: "resumed"; joined: boolean; seq: number }
  /** The viewer just joined (in any tab): what they could not see before. */
  | { type: "interaction"; interaction: InteractionState };

/** Events anyone allowed in may read before joining; every other type reaches joined tabs only. */
export const OPEN_ROOM_EVENTS: ReadonlySet<RoomEvent["type"]> = new Set(["participants", "snapshot", "resumed"]);

export const roomChannel = (sessionId: string) => `session:${sessionId}:room`;
