import type { ChatMessageView, HandView, InteractionState, RoomEvent } from "@livehall/api";

/**
 * The room's chat, questions and hands as this tab knows them, from `session.onRoom`. Every event
 * carries absolute state, so applying one twice (a snapshot overlapping the events after it, a
 * sent message the stream brings too) changes nothing: messages are kept by id, vote counts only grow, and
 * deleted messages and lowered hands are remembered so a late copy does not bring them back.
 */
export interface InteractionView {
  /** Whether the server sent this tab the room's interaction (only while its user is in the room). */
  loaded: boolean;
  /**
   * The chat as far back as this tab has it, by id: the snapshot's last messages, the older pages
   * loaded since, and the ones posted after. Contiguous, so its oldest is where the next older page ends.
   */
  messages: ReadonlyMap<string, ChatMessageView>;
  hasOlder: boolean;
  /** Questions by id: every open one of the snapshot (however old, maybe not in `messages`) and those posted since. */
  questions: ReadonlyMap<string, ChatMessageView>;
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
  questions: new Map(),
  deleted: new Set(),
  hands: new Map(),
  lowered: new Set(),
  muted: new Set(),
  myVotes: new Set(),
  unread: 0,
};

/** A snapshot (or the `interaction` sent on joining) replaces the view; deletions are kept. */
export function interactionFrom(state: InteractionState, previous: InteractionView): InteractionView {
  const byId = (list: ChatMessageView[]) =>
    new Map(list.filter((message) => !previous.deleted.has(message.id)).map((message) => [message.id, message]));
  return {
    loaded: true,
    messages: byId(state.messages),
    hasOlder: state.hasOlder,
    questions: byId([...state.openQuestions, ...state.messages.filter((message) => message.isQuestion)]),
    deleted: previous.deleted,
    hands: new Map(state.hands.filter((hand) => !previous.lowered.has(hand.id)).map((hand) => [hand.userId, hand])),
    lowered: previous.lowered,
    muted: new Set(state.mutedUserIds),
    myVotes: new Set(state.myVotes),
    unread: previous.unread,
  };
}

/** Older messages paged in (session.chatHistory): they go before the oldest the chat has. */
export function withOlder(view: InteractionView, older: ChatMessageView[], hasOlder: boolean): InteractionView {
  const messages = new Map(view.messages);
  for (const message of older) {
    if (view.deleted.has(message.id)) continue;
    const known = view.questions.get(message.id);
    messages.set(message.id, known ? fresher(known, message) : message);
  }
  return { ...view, messages, hasOlder };
}

/** Where the next older page ends: the oldest message of the chat as loaded (never an old open question). */
export function olderCursor(view: Pick<InteractionView, "messages">): { createdAt: string; id: string } | null {
  const oldest = chatOrder(view)[0];
  return oldest ? { createdAt: oldest.createdAt, id: oldest.id } : null;
}

/** Two copies of one message: votes only grow, an answer stays. */
function fresher(a: ChatMessageView, b: ChatMessageView): ChatMessageView {
  return { ...b, votes: Math.max(a.votes, b.votes), answeredAt: a.answeredAt ?? b.answeredAt };
}

/** Changes a message wherever the view holds it (the chat, the questions). */
function updateMessage(
  view: InteractionView,
  id: string,
  update: (message: ChatMessageView) => ChatMessageView,
): InteractionView {
  const inChat = view.messages.get(id);
  const asQuestion = view.questions.get(id);
  if (!inChat && !asQuestion) return view;
  return {
    ...view,
    messages: inChat ? new Map(view.messages).set(id, update(inChat)) : view.messages,
    questions: asQuestion ? new Map(view.questions).set(id, update(asQuestion)) : view.questions,
  };
}

/** Applies one chat, question or hand event (others leave the view as it is). */
export function applyInteractionEvent(
  view: InteractionView,
  event: RoomEvent,
  viewerId: string | null,
): InteractionView {
  switch (event.type) {
    case "chat.posted": {
      const { message } = event;
      // A repeat, or a late copy of a question older than the chat as loaded (it stays in Questions).
      if (view.deleted.has(message.id) || view.messages.has(message.id) || view.questions.has(message.id)) return view;
      const messages = new Map(view.messages).set(message.id, message);
      const questions = message.isQuestion ? new Map(view.questions).set(message.id, message) : view.questions;
      const mine = message.authorId === viewerId;
      return { ...view, messages, questions, unread: view.unread + (mine ? 0 : 1) };
    }
    case "chat.deleted": {
      const messages = new Map(view.messages);
      messages.delete(event.messageId);
      const questions = new Map(view.questions);
      questions.delete(event.messageId);
      return { ...view, messages, questions, deleted: new Set(view.deleted).add(event.messageId) };
    }
    case "chat.muted": {
      const muted = new Set(view.muted);
      if (event.muted) muted.add(event.userId);
      else muted.delete(event.userId);
      return { ...view, muted };
    }
    case "question.voted": {
      const myVotes = event.userId === viewerId ? new Set(view.myVotes).add(event.messageId) : view.myVotes;
      const voted = updateMessage(view, event.messageId, (message) => ({
        ...message,
        votes: Math.max(message.votes, event.votes),
      }));
      return { ...voted, myVotes };
    }
    case "question.answered":
      return updateMessage(view, event.messageId, (message) => ({
        ...message,
        answeredAt: message.answeredAt ?? event.answeredAt,
      }));
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

/** The chat as shown: oldest first (the database's time, then id: the same order on every tab). */
export function chatOrder(view: Pick<InteractionView, "messages">): ChatMessageView[] {
  return [...view.messages.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Open questions, most votes first, then the oldest. */
export function openQuestions(view: Pick<InteractionView, "questions">): ChatMessageView[] {
  return [...view.questions.values()]
    .filter((message) => message.answeredAt === null)
    .sort((a, b) => b.votes - a.votes || a.createdAt.localeCompare(b.createdAt));
}

/** Hands up in raise order. */
export function handQueue(view: Pick<InteractionView, "hands">): HandView[] {
  return [...view.hands.values()].sort((a, b) => a.raisedAt.localeCompare(b.raisedAt) || a.id.localeCompare(b.id));
}

export const markRead = (view: InteractionView): InteractionView => (view.unread === 0 ? view : { ...view, unread: 0 });
