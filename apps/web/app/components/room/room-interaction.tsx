import type { Reaction } from "@livehall/api";
import { REACTIONS } from "@livehall/api/limits";
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { apiClient } from "../../lib/api.client";
import type { ReactionBurst, RoomConnection, RoomState } from "../../lib/room/connection";
import { handQueue, olderCursor, openQuestions, withOlder, type InteractionView } from "../../lib/room/interaction";
import type { ChatOutbox, PendingMessage } from "../../lib/room/outbox";
import { useMediaQuery } from "../../lib/use-media-query";
import { Alert, Button, Card, cn } from "../ui";
import { TAB_LIST_CLASS, nextTabIndex, tabClass } from "../ui/tabs";
import { ChatPanel, type ChatModeration } from "./chat-panel";

const REACTION_NAMES: Record<Reaction, string> = {
  "👍": "Thumbs up",
  "❤️": "Love it",
  "😂": "That's funny",
  "🎉": "Celebrate",
  "👏": "Applause",
  "❓": "I'm confused",
};

type Panel = "chat" | "questions" | "hands";

/** Tailwind's `lg`: from there the panels sit side by side instead of being tabs. */
const PANELS_SIDE_BY_SIDE = "(min-width: 64rem)";

/** Runs a room action through the API and keeps its failure to show (plain words from the server). */
function useRoomAction() {
  const [error, setError] = useState<string | null>(null);
  const run = useCallback((action: () => Promise<unknown>) => {
    setError(null);
    action().catch((caught: unknown) =>
      setError(caught instanceof Error && caught.message ? caught.message : "That did not work. Try again."),
    );
  }, []);
  return { error, run };
}

/**
 * The room's interaction while the tab is in it (docs/decisions/018): chat for everyone; the host
 * (the course's instructor or an admin) also gets the open questions by votes and the raised hands in
 * raise order; a student gets their own hand and the questions to upvote. Side by side on wide
 * screens; tabs below `lg` (375 px phones), with an unread count on Chat while another tab is open.
 */
export function RoomInteraction({
  sessionId,
  room,
  state,
  outbox,
  pending,
  viewerId,
  host,
}: {
  sessionId: string;
  room: RoomConnection | null;
  state: RoomState;
  outbox: ChatOutbox | null;
  pending: PendingMessage[];
  viewerId: string;
  host: boolean;
}) {
  const view = state.interaction;
  const [panel, setPanel] = useState<Panel>("chat");
  const { error, run } = useRoomAction();
  const session = () => apiClient().session;
  // From lg every panel is on screen, whichever tab was selected below it.
  const wide = useMediaQuery(PANELS_SIDE_BY_SIDE);
  const chatShown = wide || panel === "chat";
  const chatVisible = useRef(chatShown);
  chatVisible.current = chatShown;
  // Shown again (a tab, or the window widened): what it shows is read.
  useEffect(() => {
    if (chatShown) room?.markChatRead();
  }, [chatShown, room]);

  const onSeen = useCallback(() => {
    if (chatVisible.current) room?.markChatRead();
  }, [room]);

  const moderation: ChatModeration | undefined = host
    ? {
        deleteMessage: (messageId) => run(() => session().deleteMessage.mutate({ sessionId, messageId })),
        setMuted: (userId, muted) => run(() => session().setChatMuted.mutate({ sessionId, userId, muted })),
      }
    : undefined;

  const questions = openQuestions(view);
  const hands = handQueue(view).filter((hand) => state.participants.participants.has(hand.userId));
  const tabs: { value: Panel; label: string; count: number; badge?: number }[] = [
    { value: "chat", label: "Chat", count: 0, badge: panel === "chat" ? 0 : view.unread },
    { value: "questions", label: "Questions", count: questions.length },
    ...(host ? [{ value: "hands" as const, label: "Hands", count: hands.length }] : []),
  ];
  const select = (value: Panel) => setPanel(value);

  if (!view.loaded) {
    return (
      <Card
        as="section"
        aria-label="Chat and questions"
        className="p-5 text-sm text-slate-600"
        data-testid="interaction-loading"
      >
        Loading the chat…
      </Card>
    );
  }

  return (
    <Card as="section" aria-label="Chat, questions and hands" className="p-4 sm:p-5" data-testid="interaction">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <PanelTabs tabs={tabs} value={panel} onSelect={select} />
        <div className="flex flex-wrap items-center gap-2">
          {!host ? <MyHand sessionId={sessionId} view={view} viewerId={viewerId} run={run} /> : null}
        </div>
      </div>
      {error ? (
        <Alert tone="error" className="mt-3 text-sm">
          {error}
        </Alert>
      ) : null}
      <div className={cn("mt-4 grid gap-5", host ? "lg:grid-cols-2" : "lg:grid-cols-[3fr_2fr]")}>
        <PanelBody id="chat" shown={panel === "chat"}>
          <ChatPanel
            view={view}
            pending={pending}
            viewerId={viewerId}
            moderation={moderation}
            onSend={(body, asQuestion) => outbox?.send(body, asQuestion)}
            onRetry={(id) => outbox?.retry(id)}
            onDiscard={(id) => outbox?.discard(id)}
            onSeen={onSeen}
            onLoadOlder={async () => {
              const before = olderCursor(view);
              if (!before) return;
              const page = await session().chatHistory.query({ sessionId, before });
              room?.updateInteraction((current) => withOlder(current, page.messages, page.hasOlder));
            }}
          />
        </PanelBody>
        <div className="space-y-5">
          <PanelBody id="questions" shown={panel === "questions"}>
            <QuestionList
              questions={questions}
              view={view}
              host={host}
              onUpvote={(messageId) => run(() => session().upvoteQuestion.mutate({ sessionId, messageId }))}
              onAnswer={(messageId) => run(() => session().answerQuestion.mutate({ sessionId, messageId }))}
            />
          </PanelBody>
          {host ? (
            <PanelBody id="hands" shown={panel === "hands"}>
              <HandQueue
                hands={hands}
                onLower={(userId) => run(() => session().lowerHands.mutate({ sessionId, userId }))}
                onLowerAll={() => run(() => session().lowerHands.mutate({ sessionId }))}
              />
            </PanelBody>
          ) : null}
        </div>
      </div>
      <ReactionBar
        onReact={(reaction) => run(() => session().react.mutate({ sessionId, reaction }))}
        className="mt-4 border-t border-slate-900/5 pt-4"
      />
    </Card>
  );
}

/** Buttons as ARIA tabs (arrow keys, Home, End move between them); only below `lg`, where panels are one at a time. */
function PanelTabs({
  tabs,
  value,
  onSelect,
}: {
  tabs: { value: Panel; label: string; count: number; badge?: number }[];
  value: Panel;
  onSelect(value: Panel): void;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const next = nextTabIndex(
      event.key,
      tabs.findIndex((tab) => tab.value === value),
      tabs.length,
    );
    if (next === null) return;
    event.preventDefault();
    onSelect(tabs[next]!.value);
    refs.current[next]?.focus();
  }
  return (
    <div role="tablist" aria-label="Room panels" onKeyDown={onKeyDown} className={cn(TAB_LIST_CLASS, "lg:hidden")}>
      {tabs.map((tab, index) => {
        const selected = tab.value === value;
        return (
          <button
            key={tab.value}
            ref={(element) => {
              refs.current[index] = element;
            }}
            type="button"
            role="tab"
            id={`room-tab-${tab.value}`}
            aria-selected={selected}
            aria-controls={`room-panel-${tab.value}`}
            tabIndex={selected ? 0 : -1}
            onClick={() => onSelect(tab.value)}
            className={tabClass(selected)}
            data-testid={`room-tab-${tab.value}`}
          >
            {tab.label}
            {tab.count > 0 ? <span className="text-xs text-slate-600 tabular-nums">{tab.count}</span> : null}
            {tab.badge ? (
              <span
                className="rounded-full bg-live-600 px-1.5 text-xs font-bold text-white tabular-nums"
                data-testid="unread-badge"
              >
                {tab.badge}
                <span className="sr-only"> unread</span>
              </span>
            ) : null}
          </button>
        );
      })}
    </div>
  );
}

function PanelBody({ id, shown, children }: { id: Panel; shown: boolean; children: ReactNode }) {
  return (
    <div
      role="tabpanel"
      id={`room-panel-${id}`}
      aria-labelledby={`room-tab-${id}`}
      className={cn(shown ? "block" : "hidden", "lg:block")}
    >
      {children}
    </div>
  );
}

function QuestionList({
  questions,
  view,
  host,
  onUpvote,
  onAnswer,
}: {
  questions: ReturnType<typeof openQuestions>;
  view: InteractionView;
  host: boolean;
  onUpvote(messageId: string): void;
  onAnswer(messageId: string): void;
}) {
  return (
    <section aria-labelledby="questions-heading" data-testid="questions">
      <h3 id="questions-heading" className="text-base font-semibold text-slate-900">
        Open questions
      </h3>
      {questions.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">
          No open questions. {host ? "" : "Tick “Ask as a question” when you write one."}
        </p>
      ) : (
        <ol className="mt-2 space-y-2">
          {questions.map((question) => {
            const voted = view.myVotes.has(question.id);
            return (
              <li
                key={question.id}
                className="rounded-control bg-white p-3 ring-1 ring-slate-900/5"
                data-testid="question"
              >
                <p className="text-sm break-words whitespace-pre-wrap text-slate-800">{question.body}</p>
                <div className="mt-2 flex flex-wrap items-center gap-2 text-xs text-slate-600">
                  <span>{question.authorName}</span>
                  <span
                    className="rounded-full bg-slate-100 px-2 py-0.5 font-semibold text-slate-700 tabular-nums"
                    data-testid="question-votes"
                  >
                    {question.votes} {question.votes === 1 ? "vote" : "votes"}
                  </span>
                  <Button
                    variant="secondary"
                    size="sm"
                    className="min-h-9 px-3 text-xs"
                    disabled={voted}
                    onClick={() => onUpvote(question.id)}
                    aria-label={voted ? "You upvoted this question" : `Upvote: ${question.body.slice(0, 60)}`}
                  >
                    {voted ? "Upvoted" : "Upvote"}
                  </Button>
                  {host ? (
                    <Button
                      variant="success"
                      size="sm"
                      className="min-h-9 px-3 text-xs"
                      onClick={() => onAnswer(question.id)}
                      data-testid="mark-answered"
                    >
                      Mark answered
                    </Button>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

function HandQueue({
  hands,
  onLower,
  onLowerAll,
}: {
  hands: ReturnType<typeof handQueue>;
  onLower(userId: string): void;
  onLowerAll(): void;
}) {
  return (
    <section aria-labelledby="hands-heading" data-testid="hands">
      <div className="flex items-center justify-between gap-2">
        <h3 id="hands-heading" className="text-base font-semibold text-slate-900">
          Raised hands
        </h3>
        {hands.length > 1 ? (
          <Button variant="ghost" size="sm" onClick={onLowerAll}>
            Lower all
          </Button>
        ) : null}
      </div>
      {hands.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No hands up.</p>
      ) : (
        <ol className="mt-2 space-y-2">
          {hands.map((hand, index) => (
            <li
              key={hand.id}
              className="flex items-center justify-between gap-2 rounded-control bg-white p-2.5 ring-1 ring-slate-900/5"
              data-testid="hand"
            >
              <span className="text-sm text-slate-800">
                <span className="mr-2 font-semibold text-slate-600 tabular-nums">{index + 1}.</span>
                {hand.name}
              </span>
              <Button
                variant="secondary"
                size="sm"
                className="min-h-9 px-3 text-xs"
                onClick={() => onLower(hand.userId)}
              >
                Lower<span className="sr-only"> {hand.name}&rsquo;s hand</span>
              </Button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** A student's own hand: raise it, lower it; the host sees the queue. */
function MyHand({
  sessionId,
  view,
  viewerId,
  run,
}: {
  sessionId: string;
  view: InteractionView;
  viewerId: string;
  run(action: () => Promise<unknown>): void;
}) {
  const up = view.hands.has(viewerId);
  return (
    <Button
      variant={up ? "live" : "secondary"}
      size="sm"
      aria-pressed={up}
      onClick={() =>
        run(() =>
          up
            ? apiClient().session.lowerHand.mutate({ sessionId })
            : apiClient().session.raiseHand.mutate({ sessionId }),
        )
      }
      data-testid="my-hand"
    >
      <span aria-hidden="true">✋</span>
      {up ? "Lower your hand" : "Raise your hand"}
    </Button>
  );
}

function ReactionBar({ onReact, className }: { onReact(reaction: Reaction): void; className?: string }) {
  return (
    <div role="group" aria-label="React" className={cn("flex flex-wrap items-center gap-1.5", className)}>
      <span className="mr-1 text-sm font-medium text-slate-700">React</span>
      {REACTIONS.map((reaction) => (
        <button
          key={reaction}
          type="button"
          onClick={() => onReact(reaction)}
          aria-label={REACTION_NAMES[reaction]}
          title={REACTION_NAMES[reaction]}
          className="flex size-11 items-center justify-center rounded-full bg-white text-xl ring-1 ring-slate-900/10 transition hover:scale-110 hover:bg-slate-50"
          data-testid="reaction-button"
        >
          {reaction}
        </button>
      ))}
    </div>
  );
}

/** Reactions of the last seconds rising over the page, for everyone in the room (decorative). */
export function FloatingReactions({ reactions }: { reactions: ReactionBurst[] }) {
  return (
    <div
      className="pointer-events-none fixed right-4 bottom-4 z-40 flex flex-col items-end gap-1"
      data-testid="floating-reactions"
    >
      {reactions.map((burst) => (
        <span
          key={burst.key}
          className="animate-reaction-float rounded-full bg-white/90 px-3 py-1 text-2xl shadow-card ring-1 ring-slate-900/5 motion-reduce:animate-none"
          data-testid="floating-reaction"
        >
          {burst.reaction}
          {burst.count > 1 ? <span className="ml-1 text-sm font-semibold text-slate-700">×{burst.count}</span> : null}
          <span className="sr-only"> {REACTION_NAMES[burst.reaction]}</span>
        </span>
      ))}
    </div>
  );
}
