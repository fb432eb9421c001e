import type { ChatMessageView, HandView, InteractionState, RoomEvent } from "@livehall/api";

/**
 * The room's chat, questions and hands as this tab knows them, from `session.onRoom`. Every event
 * carries absolute state, so applying one twice (a snapshot overlapping the events after it, a
 * retried send stored again) changes nothing: messages are kept by id, vote counts only grow, and
 * deleted messages and lowered hands are remembered so a late copy does not bring them back.
 */
export interface InteractionView {
  /** Whether the server sent this tab the room's interaction (only while its user is in the room). */
  loaded: boolean;
  /** By id. */
  messages: ReadonlyMap<string, ChatMessageView>;
  hasOlder: boolean;
  deleted: ReadonlySet<string>;
  /** Hands up by user id. */
  hands: ReadonlyMap<string, HandView>;
  lowered: ReadonlySet<string>;
  muted: ReadonlySet<string>;
  myVotes: ReadonlySet<string>;
  /** Messages received since the chat panel was last read (see `markRead`). */
  unread: number;
}

export const EMPTY_INTERACTION: InteractionView = {
  loaded: false,
  messages: new Map(),
  hasOlder: false,
  deleted: new Set(),
  hands: new Map(),
  lowered: new Set(),
  muted: new Set(),
  myVotes: new Set(),
  unread: 0,
};

/** A snapshot (or the `interaction` sent on joining) replaces the view; deletions are kept. */
export function interactionFrom(state: InteractionState, previous: InteractionView): InteractionView {
  const messages = new Map<string, ChatMessageView>();
  for (const message of [...state.openQuestions, ...state.messages]) {
    if (!previous.deleted.has(message.id)) messages.set(message.id, message);
  }
  return {
    loaded: true,
    messages,
    hasOlder: state.hasOlder,
    deleted: previous.deleted,
    hands: new Map(state.hands.filter((hand) => !previous.lowered.has(hand.id)).map((hand) => [hand.userId, hand])),
    lowered: previous.lowered,
    muted: new Set(state.mutedUserIds),
    myVotes: new Set(state.myVotes),
    unread: previous.unread,
  };
}

/** Older messages paged in (session.chatHistory). */
export function withOlder(view: InteractionView, older: ChatMessageView[], hasOlder: boolean): InteractionView {
  const messages = new Map(view.messages);
  for (const message of older) if (!view.deleted.has(message.id)) messages.set(message.id, message);
  return { ...view, messages, hasOlder };
}

/** Applies one chat, question or hand event (others leave the view as it is). */
export function applyInteractionEvent(
  view: InteractionView,
  event: RoomEvent,
  viewerId: string | null,
): InteractionView {
  switch (event.type) {
    case "chat.posted": {
      if (view.deleted.has(event.message.id) || view.messages.has(event.message.id)) return view;
      const messages = new Map(view.messages).set(event.message.id, event.message);
      const mine = event.message.authorId === viewerId;
      return { ...view, messages, unread: view.unread + (mine ? 0 : 1) };
    }
    case "chat.deleted": {
      const messages = new Map(view.messages);
      messages.delete(event.messageId);
      return { ...view, messages, deleted: new Set(view.deleted).add(event.messageId) };
    }
    case "chat.muted": {
      const muted = new Set(view.muted);
      if (event.muted) muted.add(event.userId);
      else muted.delete(event.userId);
      return { ...view, muted };
    }
    case "question.voted": {
      const message = view.messages.get(event.messageId);
      const myVotes = event.userId === viewerId ? new Set(view.myVotes).add(event.messageId) : view.myVotes;
      if (!message) return { ...view, myVotes };
      const votes = Math.max(message.votes, event.votes);
      return { ...view, myVotes, messages: new Map(view.messages).set(message.id, { ...message, votes }) };
    }
    case "question.answered": {
      const message = view.messages.get(event.messageId);
      if (!message) return view;
      const answered = { ...message, answeredAt: message.answeredAt ?? event.answeredAt };
      return { ...view, messages: new Map(view.messages).set(message.id, answered) };
    }
    case "hand.raised": {
      if (view.lowered.has(event.hand.id)) return view;
      return { ...view, hands: new Map(view.hands).set(event.hand.userId, event.hand) };
    }
    case "hand.lowered": {
      const lowered = new Set(view.lowered);
      for (const id of event.handIds) lowered.add(id);
      const hands = new Map([...view.hands].filter(([, hand]) => !lowered.has(hand.id)));
      return { ...view, hands, lowered };
    }
    default:
      return view;
  }
}

/** The chat as shown: oldest first (time, then id). */
export function chatOrder(view: Pick<InteractionView, "messages">): ChatMessageView[] {
  return [...view.messages.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Open questions, most votes first, then the oldest. */
export function openQuestions(view: Pick<InteractionView, "messages">): ChatMessageView[] {
  return [...view.messages.values()]
    .filter((message) => message.isQuestion && message.answeredAt === null)
    .sort((a, b) => b.votes - a.votes || a.createdAt.localeCompare(b.createdAt));
}

/** Hands up in raise order. */
export function handQueue(view: Pick<InteractionView, "hands">): HandView[] {
  return [...view.hands.values()].sort((a, b) => a.raisedAt.localeCompare(b.raisedAt) || a.id.localeCompare(b.id));
}

export const markRead = (view: InteractionView): InteractionView => (view.unread === 0 ? view : { ...view, unread: 0 });
