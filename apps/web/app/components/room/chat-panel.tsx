import type { ChatMessageView } from "@livehall/api";
import { CHAT_MAX_LENGTH } from "@livehall/api/limits";
import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { chatOrder, type InteractionView } from "../../lib/room/interaction";
import { pendingNote, type PendingMessage } from "../../lib/room/outbox";
import { useTicker } from "../../lib/room/use-ticker";
import { Alert, Button, cn } from "../ui";
import { LinkifiedText } from "./linkified-text";

/** What the host can do to a message and its author. */
export interface ChatModeration {
  deleteMessage(messageId: string): void;
  setMuted(userId: string, muted: boolean): void;
}

const timeFormat = new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "2-digit" });

// Server rendering has no layout to measure; the effect is only needed in the browser.
const useBrowserLayoutEffect = typeof document === "undefined" ? useEffect : useLayoutEffect;

/**
 * The room's chat: messages oldest first (older ones when scrolled to the top, or with the button),
 * the viewer's unsent messages with their state, and the composer. Text is shown as text (links made clickable, nothing else).
 */
export function ChatPanel({
  view,
  pending,
  viewerId,
  moderation,
  onSend,
  onRetry,
  onDiscard,
  onLoadOlder,
  onSeen,
}: {
  view: InteractionView;
  pending: PendingMessage[];
  viewerId: string | null;
  /** The host's delete and mute (absent for everyone else). */
  moderation?: ChatModeration | undefined;
  onSend(body: string, asQuestion: boolean): void;
  onRetry(clientMessageId: string): void;
  onDiscard(clientMessageId: string): void;
  onLoadOlder(): Promise<void>;
  /** The messages are on screen: nothing unread. */
  onSeen(): void;
}) {
  const messages = chatOrder(view);
  // A message the stream brought before its send answered is shown once, as sent.
  const delivered = new Set(messages.filter((m) => m.authorId === viewerId).map((m) => m.clientMessageId));
  const unsent = pending.filter((message) => !delivered.has(message.clientMessageId));
  // Renders every second while a message waits out the chat budget (its countdown); read at render.
  useTicker(
    unsent.some((message) => message.status === "throttled"),
    1_000,
    0,
  );
  const now = Date.now();
  const list = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const loading = useRef(false);
  /** While older messages load: the reader's distance from the bottom, kept when they go in above. */
  const anchor = useRef<number | null>(null);
  const muted = viewerId !== null && view.muted.has(viewerId);
  const oldestId = messages[0]?.id;

  const loadOlder = () => {
    if (loading.current || !view.hasOlder) return;
    loading.current = true;
    pinned.current = false;
    const element = list.current;
    anchor.current = element ? element.scrollHeight - element.scrollTop : null;
    setLoadingOlder(true);
    void onLoadOlder().finally(() => {
      loading.current = false;
      setLoadingOlder(false);
    });
  };

  // Older messages went in above: the ones the reader was looking at stay where they were.
  useBrowserLayoutEffect(() => {
    const element = list.current;
    if (element && anchor.current !== null) element.scrollTop = element.scrollHeight - anchor.current;
    anchor.current = null;
  }, [oldestId]);
  // Follow new messages while the reader is at the bottom; reading older ones is not interrupted.
  useBrowserLayoutEffect(() => {
    const element = list.current;
    if (element && pinned.current) element.scrollTop = element.scrollHeight;
  }, [messages.length, unsent.length]);
  useEffect(() => {
    onSeen();
  }, [messages.length, onSeen]);

  return (
    <section aria-labelledby="chat-heading" className="flex min-h-0 flex-col" data-testid="chat">
      <h2 id="chat-heading" className="sr-only">
        Chat
      </h2>
      <div
        ref={list}
        role="log"
        aria-label="Chat messages"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          pinned.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
          // Scrolled up to the top: the earlier messages come in (the button does the same by keyboard).
          if (element.scrollTop < 48) loadOlder();
        }}
        className="max-h-[26rem] min-h-40 overflow-y-auto rounded-control bg-slate-50/70 p-3 ring-1 ring-slate-900/5 ring-inset"
      >
        <ol className="space-y-3">
          {view.hasOlder ? (
            <li className="text-center">
              <Button variant="ghost" size="sm" disabled={loadingOlder} onClick={loadOlder} data-testid="chat-older">
                {loadingOlder ? "Loading…" : "Show earlier messages"}
              </Button>
            </li>
          ) : null}
          {messages.length === 0 && unsent.length === 0 ? (
            <li className="py-6 text-center text-sm text-slate-600">No messages yet. Say hello!</li>
          ) : null}
          {messages.map((message) => (
            <ChatLine
              key={message.id}
              message={message}
              mine={message.authorId === viewerId}
              authorMuted={view.muted.has(message.authorId)}
              moderation={moderation}
            />
          ))}
          {unsent.map((message) => (
            <li
              key={message.clientMessageId}
              className="rounded-control bg-white/70 p-2.5"
              data-testid="pending-message"
            >
              <p className="text-sm whitespace-pre-wrap text-slate-700">{message.body}</p>
              {message.status === "failed" ? (
                <div className="mt-1 flex flex-wrap items-center gap-2 text-xs">
                  <span className="font-medium text-live-700" role="alert">
                    {pendingNote(message, now)}
                  </span>
                  <button
                    type="button"
                    className="font-semibold text-brand-700 underline"
                    onClick={() => onRetry(message.clientMessageId)}
                  >
                    Try again
                  </button>
                  <button
                    type="button"
                    className="font-semibold text-slate-700 underline"
                    onClick={() => onDiscard(message.clientMessageId)}
                  >
                    Remove
                  </button>
                </div>
              ) : message.status === "throttled" ? (
                <p className="mt-1 text-xs font-medium text-warning-800" data-testid="pending-throttled">
                  {/* Said once to screen readers; the countdown is for the eyes. */}
                  <span className="sr-only" role="status">
                    You&rsquo;re sending messages too fast. This one goes out in a few seconds.
                  </span>
                  <span aria-hidden="true">{pendingNote(message, now)}</span>
                </p>
              ) : (
                <p className="mt-1 text-xs text-slate-600">{pendingNote(message, now)}</p>
              )}
            </li>
          ))}
        </ol>
      </div>
      {muted ? (
        <Alert tone="info" className="mt-3 text-sm" data-testid="chat-muted">
          The instructor turned off your chat for this session.
        </Alert>
      ) : (
        <Composer onSend={onSend} asQuestionOffered={moderation === undefined} />
      )}
    </section>
  );
}

function ChatLine({
  message,
  mine,
  authorMuted,
  moderation,
}: {
  message: ChatMessageView;
  mine: boolean;
  authorMuted: boolean;
  moderation?: ChatModeration | undefined;
}) {
  return (
    <li className={cn("rounded-control p-2.5", mine ? "bg-brand-50" : "bg-white")} data-testid="chat-message">
      <div className="flex flex-wrap items-baseline gap-x-2 text-xs">
        <span className="font-semibold text-slate-900">{mine ? "You" : message.authorName}</span>
        {message.authorIsHost ? <span className="font-semibold text-brand-700">Instructor</span> : null}
        {message.isQuestion ? <span className="font-semibold text-accent-700">Question</span> : null}
        <time dateTime={message.createdAt} className="text-slate-600">
          {timeFormat.format(new Date(message.createdAt))}
        </time>
      </div>
      <p className="mt-0.5 text-sm break-words whitespace-pre-wrap text-slate-800">
        <LinkifiedText text={message.body} />
      </p>
      {/* The host and admins delete any message, their own too; the course's instructor is never muted. */}
      {moderation ? (
        <div className="mt-1 flex gap-3 text-xs">
          <button
            type="button"
            className="min-h-6 font-semibold text-slate-700 underline-offset-2 hover:underline"
            onClick={() => moderation.deleteMessage(message.id)}
            aria-label={mine ? "Delete your message" : `Delete the message from ${message.authorName}`}
          >
            Delete
          </button>
          {message.authorIsHost || mine ? null : (
            <button
              type="button"
              className="min-h-6 font-semibold text-slate-700 underline-offset-2 hover:underline"
              onClick={() => moderation.setMuted(message.authorId, !authorMuted)}
            >
              {authorMuted ? `Let ${message.authorName} chat again` : `Mute ${message.authorName}`}
            </button>
          )}
        </div>
      ) : null}
    </li>
  );
}

function Composer({
  onSend,
  asQuestionOffered,
}: {
  onSend(body: string, asQuestion: boolean): void;
  asQuestionOffered: boolean;
}) {
  const [body, setBody] = useState("");
  const [asQuestion, setAsQuestion] = useState(false);
  const id = useId();
  const left = CHAT_MAX_LENGTH - body.length;

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = body.trim();
    if (!text) return;
    onSend(text, asQuestion);
    setBody("");
    setAsQuestion(false);
  }
  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  }

  return (
    <form onSubmit={submit} className="mt-3 space-y-2" data-testid="chat-form">
      <label htmlFor={`${id}-message`} className="sr-only">
        Message
      </label>
      <textarea
        id={`${id}-message`}
        value={body}
        onChange={(event) => setBody(event.target.value)}
        onKeyDown={onKeyDown}
        maxLength={CHAT_MAX_LENGTH}
        rows={2}
        placeholder={asQuestion ? "Ask the instructor a question" : "Write a message"}
        aria-describedby={`${id}-hint`}
        className="block w-full resize-y rounded-control border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-500 focus:border-brand-500"
        data-testid="chat-input"
      />
      <div className="flex flex-wrap items-center justify-between gap-2">
        {asQuestionOffered ? (
          <label className="inline-flex min-h-11 items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={asQuestion}
              onChange={(event) => setAsQuestion(event.target.checked)}
              className="size-4 rounded border-slate-400"
              data-testid="ask-as-question"
            />
            Ask as a question
          </label>
        ) : (
          <span />
        )}
        <span id={`${id}-hint`} className={cn("text-xs", left < 100 ? "text-warning-800" : "sr-only")}>
          {left < 100 ? `${left} characters left` : "Enter sends; Shift and Enter starts a new line."}
        </span>
        <Button type="submit" size="sm" disabled={!body.trim()} data-testid="chat-send">
          {asQuestion ? "Ask" : "Send"}
        </Button>
      </div>
    </form>
  );
}
