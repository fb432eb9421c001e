import type { ChatMessageView } from "@livehall/api";
import { backoffDelay, failureReason, isRetryableFailure, type Backoff } from "@livehall/api/client";

/**
 * The chat messages this tab is sending (docs/decisions/018). Each has its own client message id,
 * kept with the message in sessionStorage until the server has it: a send that failed on the network
 * is sent again with the same id after a backoff (or at once when the browser is back online), and a
 * reload sends what was pending again — the server stores one message per id, so nothing is lost or
 * doubled. A definite refusal (muted, not in the room, too long…) stays on screen with its reason.
 */
export interface PendingMessage {
  clientMessageId: string;
  body: string;
  asQuestion: boolean;
  /**
   * sending: a request is out; waiting: retrying after a network failure; throttled: over the chat
   * budget, sent again at `retryAt`; failed: refused, see `error`.
   */
  status: "sending" | "waiting" | "throttled" | "failed";
  error: string | null;
  /** When a throttled message goes out again (ms since the epoch), null otherwise. */
  retryAt: number | null;
}

export interface OutboxOptions {
  sessionId: string;
  send(input: {
    sessionId: string;
    clientMessageId: string;
    body: string;
    asQuestion: boolean;
  }): Promise<ChatMessageView>;
  /** The server has the message: show it (as the stream would). */
  onSent(message: ChatMessageView): void;
  backoff: Backoff;
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  newId?: () => string;
  now?: () => number;
}

type Stored = Pick<PendingMessage, "clientMessageId" | "body" | "asQuestion">;

/** Answers worth waiting out: the network, the server busy for a moment. */
const TRANSIENT = new Set(["SERVICE_UNAVAILABLE", "ACCESS_TOKEN_EXPIRED"]);
/** Over the chat budget: the message waits for the server's retry hint, and the writer is told. */
const RATE_LIMITED = "RATE_LIMITED";

/** What a message not sent yet says under it (`now` in ms). */
export function pendingNote(message: PendingMessage, now: number): string {
  switch (message.status) {
    case "sending":
      return "Sending…";
    case "waiting":
      return "Waiting for the network…";
    case "throttled": {
      const seconds = Math.max(1, Math.ceil(((message.retryAt ?? now) - now) / 1_000));
      return `You're sending messages too fast — sends in ${seconds} s`;
    }
    case "failed":
      return `Not sent: ${message.error ?? "the message could not be sent."}`;
  }
}

export class ChatOutbox {
  private pending: PendingMessage[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly attempts = new Map<string, number>();
  private disposed = false;
  private restored = false;

  constructor(private readonly options: OutboxOptions) {}

  getState = (): PendingMessage[] => this.pending;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private get key(): string {
    return `livehall:room:${this.options.sessionId}:outbox`;
  }

  private update(pending: PendingMessage[]): void {
    this.pending = pending;
    try {
      const stored: Stored[] = pending
        .filter((message) => message.status !== "failed")
        .map(({ clientMessageId, body, asQuestion }) => ({ clientMessageId, body, asQuestion }));
      if (stored.length > 0) this.options.storage?.setItem(this.key, JSON.stringify(stored));
      else this.options.storage?.removeItem(this.key);
    } catch {
      // Storage full or blocked: the outbox still works for this page load.
    }
    for (const listener of this.listeners) listener();
  }

  private patch(clientMessageId: string, patch: Partial<PendingMessage>): void {
    this.update(
      this.pending.map((message) => (message.clientMessageId === clientMessageId ? { ...message, ...patch } : message)),
    );
  }

  /** Sends again what a previous load of this page left unsent (same ids); once per outbox. */
  restore(): void {
    if (this.restored || this.disposed) return;
    this.restored = true;
    let stored: Stored[] = [];
    try {
      stored = JSON.parse(this.options.storage?.getItem(this.key) ?? "[]") as Stored[];
    } catch {
      stored = [];
    }
    const known = new Set(this.pending.map((message) => message.clientMessageId));
    const restored = stored
      .filter((message) => typeof message.clientMessageId === "string" && !known.has(message.clientMessageId))
      .map((message): PendingMessage => ({ ...message, status: "sending", error: null, retryAt: null }));
    if (restored.length === 0) return;
    this.update([...this.pending, ...restored]);
    for (const message of restored) void this.attempt(message.clientMessageId);
  }

  send(body: string, asQuestion = false): void {
    const clientMessageId = this.options.newId?.() ?? crypto.randomUUID();
    this.update([
      ...this.pending,
      { clientMessageId, body, asQuestion, status: "sending", error: null, retryAt: null },
    ]);
    void this.attempt(clientMessageId);
  }

  /** Tries a waiting or failed message now. */
  retry(clientMessageId: string): void {
    clearTimeout(this.timers.get(clientMessageId));
    void this.attempt(clientMessageId);
  }

  /** Retries every message waiting for the network now (the browser came back online). */
  retryAll(): void {
    for (const message of this.pending) if (message.status === "waiting") this.retry(message.clientMessageId);
  }

  discard(clientMessageId: string): void {
    clearTimeout(this.timers.get(clientMessageId));
    this.update(this.pending.filter((message) => message.clientMessageId !== clientMessageId));
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.listeners.clear();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private later(clientMessageId: string, delay: number): void {
    this.timers.set(
      clientMessageId,
      setTimeout(() => void this.attempt(clientMessageId), delay),
    );
  }

  private async attempt(clientMessageId: string): Promise<void> {
    const message = this.pending.find((pending) => pending.clientMessageId === clientMessageId);
    if (!message || this.disposed) return;
    this.patch(clientMessageId, { status: "sending", error: null, retryAt: null });
    try {
      const stored = await this.options.send({
        sessionId: this.options.sessionId,
        clientMessageId,
        body: message.body,
        asQuestion: message.asQuestion,
      });
      if (this.disposed) return;
      this.attempts.delete(clientMessageId);
      this.options.onSent(stored);
      this.update(this.pending.filter((pending) => pending.clientMessageId !== clientMessageId));
    } catch (error) {
      if (this.disposed) return;
      const reason = failureReason(error);
      const hinted = (error as { data?: { retryAfterMs?: number | null } }).data?.retryAfterMs ?? 0;
      if (reason === RATE_LIMITED) {
        // Not the network: say so, and send it again when the budget has a message for it.
        const delay = Math.max(250, hinted);
        this.patch(clientMessageId, { status: "throttled", error: null, retryAt: this.now() + delay });
        this.later(clientMessageId, delay);
        return;
      }
      if (isRetryableFailure(error) || (reason !== undefined && TRANSIENT.has(reason))) {
        const attempt = this.attempts.get(clientMessageId) ?? 0;
        this.attempts.set(clientMessageId, attempt + 1);
        const delay = Math.max(250, hinted, backoffDelay(attempt, this.options.backoff));
        this.patch(clientMessageId, { status: "waiting", error: null });
        this.later(clientMessageId, delay);
        return;
      }
      const text = error instanceof Error && error.message ? error.message : "The message could not be sent.";
      this.patch(clientMessageId, { status: "failed", error: text });
    }
  }
}
