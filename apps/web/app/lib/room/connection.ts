import type { ParticipantEvent, Reaction, RoomEvent } from "@livehall/api";
import {
  backoffDelay,
  definiteSignOutReason,
  failureReason,
  isRetryableFailure,
  type Backoff,
} from "@livehall/api/client";
import {
  applyInteractionEvent,
  EMPTY_INTERACTION,
  interactionFrom,
  markRead,
  type InteractionView,
} from "./interaction";
import {
  applyParticipantEvent,
  EMPTY_PARTICIPANTS,
  hasStaleGap,
  type ParticipantsState,
  type SessionStatus,
} from "./participants";

/**
 * One room tab's connection to a live session: join, heartbeats, recovery, leave, and the live
 * participant stream. Framework-free (the React hook in use-room.ts subscribes to it), with every
 * effect behind `RoomApi` so the whole state machine runs under fake timers in unit tests.
 *
 *              Join button          join ok                       heartbeat "rejoin"
 *   idle ─open─▶ ready ──start──▶ joining ─────▶ connected ◀──────┐ ───────────────▶ reconnecting (join now)
 *                     │              │   ▲  │ heartbeat ok (every interval the server gives)
 *                     │ network/5xx  │   └──┘
 *                     ▼              ▼ network/5xx/SERVICE_UNAVAILABLE/timeout
 *                 reconnecting ◀──────  (retry = an idempotent join after a backoff with full jitter;
 *                   │   ▲    ▲            "Retry now" and the browser's `online` event skip the wait)
 *      `offline` ev │   │    │ `online` ev
 *                   ▼   │    │
 *                 offline ───┘
 *
 *   ready: the pre-join screen. Opening the page (a link, a reload, Back/Forward, a bfcache restore)
 *   only opens the event stream (who is there); nothing joins until the Join button (`start`).
 *   Only a tab that had joined re-joins by itself, when the server answers "rejoin".
 *
 *   connected ──heartbeat "replaced" (a newer tab of the user took this one's place)──▶ replaced
 *                (stays out: no re-join by itself, that would close another tab; "Use this tab" = start)
 *   connected ──heartbeat "left" (the user pressed Leave in another tab)──▶ left
 *   any ──heartbeat "removed", join REMOVED_BY_HOST, or the stream's "left" (REMOVED) of this user──▶ removed
 *   any ──definite auth answer (revoked, reused, no credentials)──▶ signed-out   (never a redirect)
 *   any ──join or stream refused NOT_ENROLLED (taken out of the course)──▶ failed   (no retry, no stream)
 *   any ──status ENDED/CANCELLED (stream) or SESSION_NOT_LIVE + status check──▶ ended
 *   any ──Leave (every tab of the user leaves)──▶ left ──Rejoin──▶ joining
 *   any ──other 4xx──▶ failed ──Try again──▶ joining
 *
 * The room stream (`session.onRoom`) runs beside it (idle → connecting → open ⇄ reconnecting): a fresh
 * subscription starts with a snapshot that replaces the list and the chat; participant deltas apply by
 * seq, chat, questions and hands by id. The tab keeps the id of the last event it has: a stream that
 * fails is re-subscribed with backoff from that id (the server sends exactly the events missed, or a
 * snapshot when it can no longer), and after every recovery of the presence side the stream is
 * restarted fresh, so a stream that silently missed events during an outage is replaced by a snapshot.
 */

export type RoomPhase =
  | "idle"
  | "ready"
  | "joining"
  | "connected"
  | "reconnecting"
  | "offline"
  | "left"
  | "replaced"
  | "removed"
  | "ended"
  | "signed-out"
  | "failed";
export type StreamState = "idle" | "connecting" | "open" | "reconnecting";
export type TelemetryType =
  "connection_succeeded" | "connection_failed" | "reconnect" | "refresh_succeeded" | "refresh_failed" | "signed_out";

export interface JoinAnswer {
  joinedAt: Date | string;
  connections: number;
  participantCount: number;
  heartbeatIntervalMs: number;
}
export type HeartbeatAnswer =
  | { status: "ok" | "rejoin" | "left"; heartbeatIntervalMs: number }
  | { status: "replaced" | "removed"; reason: string; heartbeatIntervalMs: number };
export interface ConnectionInput {
  sessionId: string;
  connectionId: string;
}
export interface LeaveInput extends ConnectionInput {
  /** Every tab of the user leaves (the Leave button), not only this one (a page going away). */
  everywhere?: boolean;
}
/** One event of `session.onRoom` as tRPC delivers it: the data and the stream id of the tab's position. */
export interface RoomEnvelope {
  id: string;
  data: RoomEvent;
}
export interface StreamHandlers {
  onData(envelope: RoomEnvelope): void;
  /** The transport's own state: "connecting" while (re)connecting, "pending" once the stream is open. */
  onStateChange(state: "idle" | "connecting" | "pending", error: unknown): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/** What the room needs from the API; `trpc-room-api.ts` adapts the typed client to it. */
export interface RoomApi {
  join(input: ConnectionInput, signal: AbortSignal): Promise<JoinAnswer>;
  heartbeat(input: ConnectionInput, signal: AbortSignal): Promise<HeartbeatAnswer>;
  leave(input: LeaveInput): Promise<unknown>;
  /** Leave while the page is being hidden or unloaded (sendBeacon / keepalive fetch). */
  leaveOnExit(input: ConnectionInput): void;
  status(sessionId: string): Promise<SessionStatus>;
  /** Opens `session.onRoom`, resuming after `lastEventId` when given. */
  subscribe(sessionId: string, lastEventId: string | null, handlers: StreamHandlers): () => void;
}

export interface RoomError {
  at: number;
  source: "join" | "heartbeat" | "leave" | "stream" | "status" | "network";
  message: string;
  reason: string | null;
}

export interface RoomDebug {
  heartbeats: { at: number; latencyMs: number; status: HeartbeatAnswer["status"] | "failed" }[];
  errors: RoomError[];
  /** Retries scheduled since the room opened (presence side). */
  retries: number;
  /** Re-subscriptions of the event stream since the room opened. */
  streamRestarts: number;
  snapshots: number;
  events: number;
  lastEventAt: number | null;
  joins: number;
}

export interface RoomState {
  phase: RoomPhase;
  /** When the next retry runs (reconnecting/offline), null while one is in flight. */
  retryAt: number | null;
  /** Consecutive failed attempts of the current outage. */
  attempt: number;
  /** Why the room failed (failed), was signed out (signed-out), closed this tab (replaced, left) or removed the user (removed). */
  error: { message: string; reason: string | null } | null;
  endedStatus: "ENDED" | "CANCELLED" | null;
  /** The page was hidden (pagehide) and not shown again: nothing may open the camera meanwhile. */
  hidden: boolean;
  /** This user's open tabs in the room, as of the last join. */
  connections: number;
  joinedAt: string | null;
  heartbeatIntervalMs: number;
  stream: StreamState;
  participants: ParticipantsState;
  /** Chat, questions and hands (only while this user is in the room). */
  interaction: InteractionView;
  /** Reactions to show floating, newest last (each shown for a moment). */
  reactions: ReactionBurst[];
  debug: RoomDebug;
}

export interface ReactionBurst {
  key: number;
  reaction: Reaction;
  count: number;
}

export interface RoomConnectionOptions {
  sessionId: string;
  connectionId: string;
  /** The signed-in user: the stream telling that they were removed closes this tab too. */
  userId?: string;
  api: RoomApi;
  backoff: Backoff;
  /** Used until the server's join answer says otherwise. */
  heartbeatIntervalMs: number;
  participants?: ParticipantsState;
  telemetry?: (type: TelemetryType, durationMs?: number) => void;
  isOnline?: () => boolean;
  now?: () => number;
  /** How long a delta may wait on a gap in seq before the stream is re-subscribed. */
  gapGraceMs?: number;
  /** The shortest wait between two attempts (full jitter can draw 0). */
  minRetryMs?: number;
}

const DEBUG_KEEP = 8;

/** The state before anything happened (also what the server renders). */
export function initialRoomState({
  heartbeatIntervalMs,
  participants,
}: Pick<RoomConnectionOptions, "heartbeatIntervalMs" | "participants">): RoomState {
  return {
    phase: "idle",
    retryAt: null,
    attempt: 0,
    error: null,
    endedStatus: null,
    hidden: false,
    connections: 0,
    joinedAt: null,
    heartbeatIntervalMs,
    stream: "idle",
    participants: participants ?? EMPTY_PARTICIPANTS,
    interaction: EMPTY_INTERACTION,
    reactions: [],
    debug: {
      heartbeats: [],
      errors: [],
      retries: 0,
      streamRestarts: 0,
      snapshots: 0,
      events: 0,
      lastEventAt: null,
      joins: 0,
    },
  };
}
const JOIN_TIMEOUT_MS = 15_000;
/** How long a reaction floats on screen. */
export const REACTION_SHOWN_MS = 3_000;
/** What a tab closed for a newer one of the same user says (the server's reason: TOO_MANY_TABS). */
export const REPLACED_MESSAGE = "You opened this class in too many tabs; this one was closed.";
/** What a tab says when the user pressed Leave in another tab. */
export const LEFT_ELSEWHERE_MESSAGE = "You left this session in another tab.";
/** What every tab of a removed user says (the server's reason: REMOVED_BY_HOST). */
export const REMOVED_MESSAGE = "The instructor removed you from this session.";
const REMOVED_BY_HOST = "REMOVED_BY_HOST";
/** The room is for the course's students (docs/decisions/020): a join or stream refused with this is not retried. */
const NOT_ENROLLED = "NOT_ENROLLED";
const ACTIVE: ReadonlySet<RoomPhase> = new Set(["joining", "connected", "reconnecting", "offline"]);
/** Answers that mean there is no usable sign-in in this browser any more. */
const NO_CREDENTIALS = new Set(["UNAUTHENTICATED"]);

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function retryAfterOf(error: unknown): number {
  const value = (error as { data?: { retryAfterMs?: unknown } } | null)?.data?.retryAfterMs;
  return typeof value === "number" && value > 0 ? value : 0;
}

/** The heartbeat request's own deadline: an unanswered heartbeat counts as a failure. */
export function heartbeatTimeoutMs(intervalMs: number): number {
  return Math.min(15_000, Math.max(5_000, intervalMs));
}

export class RoomConnection {
  private state: RoomState;
  private readonly listeners = new Set<() => void>();
  private readonly options: Required<Omit<RoomConnectionOptions, "participants" | "telemetry" | "userId">> &
    Pick<RoomConnectionOptions, "telemetry" | "userId">;
  private readonly input: ConnectionInput;

  /** Bumped whenever in-flight work must be ignored (leave, stop, a new connect). */
  private epoch = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private streamTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribeStream: (() => void) | null = null;
  private streamAttempt = 0;
  /** The stream id of the last event this tab has: a re-subscription resumes after it. */
  private lastEventId: string | null = null;
  /**
   * The last participant seq this tab counted for its own membership (the server's rule, see
   * `membershipAfter` in room-stream.ts): a leave of this user at or below it is old news, and the
   * server keeps sending the chat, so the tab keeps showing it.
   */
  private membershipSeq = 0;
  private reactionKey = 0;
  private everConnected = false;
  private connectStartedAt: number | null = null;
  private outageStartedAt: number | null = null;
  private suspended = false;
  private inflightJoin: Promise<JoinAnswer> | null = null;
  private disposed = false;

  constructor(options: RoomConnectionOptions) {
    this.options = {
      isOnline: () => true,
      now: () => Date.now(),
      gapGraceMs: 2_000,
      minRetryMs: 250,
      ...options,
    };
    this.input = { sessionId: options.sessionId, connectionId: options.connectionId };
    this.state = initialRoomState(options);
  }

  // -------------------------------------------------------------------------------------------
  // Observing
  // -------------------------------------------------------------------------------------------

  getState = (): RoomState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<RoomState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  private debug(patch: (debug: RoomDebug) => Partial<RoomDebug>): void {
    this.set({ debug: { ...this.state.debug, ...patch(this.state.debug) } });
  }

  private recordError(source: RoomError["source"], error: unknown): void {
    const entry: RoomError = {
      at: this.options.now(),
      source,
      message: errorMessage(error),
      reason: failureReason(error) ?? null,
    };
    this.debug((debug) => ({ errors: [entry, ...debug.errors].slice(0, DEBUG_KEEP) }));
  }

  private report(type: TelemetryType, durationMs?: number): void {
    try {
      this.options.telemetry?.(type, durationMs === undefined ? undefined : Math.max(0, Math.round(durationMs)));
    } catch {
      // Telemetry never gets in the room's way.
    }
  }

  get active(): boolean {
    return ACTIVE.has(this.state.phase);
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  /** Opens the pre-join screen: the event stream (who is there), no join. */
  open(): void {
    if (this.disposed || this.state.phase !== "idle") return;
    this.set({ phase: "ready" });
    this.startStream();
  }

  /** Joins (the Join button; Rejoin from left, replaced, removed, failed) and keeps the event stream. */
  start(): void {
    if (this.disposed) return;
    if (this.state.phase === "ended" || this.state.phase === "signed-out" || this.active) return;
    this.connectStartedAt = this.options.now();
    this.outageStartedAt = null;
    this.set({ phase: "joining", attempt: 0, retryAt: null, error: null });
    this.startStream();
    void this.connect();
  }

  /** The Leave button: every tab of the user leaves (theirs hear "left"). The stream keeps running. */
  leave(): Promise<void> {
    if (!this.active) return Promise.resolve();
    this.halt();
    this.set({ phase: "left", retryAt: null, attempt: 0, error: null });
    return this.sendLeave(true).then(
      () => undefined,
      (error: unknown) => this.recordError("leave", error),
    );
  }

  /**
   * A leave sent while a join is still in flight could reach the server first and leave the join's
   * connection behind (until the worker evicts it): it waits for that join to settle.
   */
  private async sendLeave(everywhere = false): Promise<unknown> {
    await this.inflightJoin?.catch(() => undefined);
    return this.options.api.leave(everywhere ? { ...this.input, everywhere } : this.input);
  }

  /** Skips the wait of a scheduled retry (the "Retry now" button, the browser coming online). */
  retryNow(): void {
    if (this.state.phase === "reconnecting" || this.state.phase === "offline") {
      if (this.state.retryAt === null) return; // an attempt is in flight
      clearTimeout(this.timer);
      void this.connect();
    } else if (this.state.phase === "failed") {
      this.start();
    }
  }

  /** A definite auth answer (from AuthSession.onSignedOut or an answer of our own). */
  signedOut(reason: string): void {
    if (this.state.phase === "signed-out" || this.disposed) return;
    this.halt();
    this.stopStream();
    this.report("signed_out");
    this.set({ phase: "signed-out", retryAt: null, error: { message: "You have been signed out.", reason } });
  }

  /** The session is over: stop everything, keep the list as the final state. */
  ended(status: "ENDED" | "CANCELLED"): void {
    if (this.state.phase === "ended" || this.disposed) return;
    this.halt();
    this.stopStream();
    this.set({ phase: "ended", endedStatus: status, retryAt: null, error: null });
  }

  /** The instructor removed the user: out, without the stream, until they try again (refused until let back in). */
  private removed(): void {
    this.halt();
    this.stopStream();
    this.set({ phase: "removed", retryAt: null, error: { message: REMOVED_MESSAGE, reason: REMOVED_BY_HOST } });
  }

  /** Taken out of the course (or never in it): out, without the stream; the page shows the way in. */
  private notEnrolled(error: unknown): void {
    this.halt();
    this.stopStream();
    this.set({ phase: "failed", retryAt: null, error: { message: errorMessage(error), reason: NOT_ENROLLED } });
  }

  browserOffline(): void {
    if (this.state.phase !== "connected" && this.state.phase !== "joining" && this.state.phase !== "reconnecting")
      return;
    this.recordError("network", new Error("The browser went offline."));
    this.scheduleRetry(new Error("offline"), "offline");
  }

  browserOnline(): void {
    if (this.state.phase === "offline" || this.state.phase === "reconnecting") {
      clearTimeout(this.timer);
      void this.connect();
    }
    if (this.state.stream !== "open" && this.streamWanted()) this.restartStream();
  }

  /**
   * pagehide: leave now (a beacon outlives the page); if the page comes back (bfcache), `resume`
   * shows the pre-join screen again: coming back is not joining.
   */
  suspend(): void {
    if (this.suspended || this.disposed) return;
    this.suspended = true;
    if (this.active) {
      this.options.api.leaveOnExit(this.input);
      this.halt();
      this.set({ phase: "ready", retryAt: null });
    }
    this.set({ hidden: true });
    this.stopStream();
  }

  resume(): void {
    if (!this.suspended || this.disposed) return;
    this.suspended = false;
    this.set({ hidden: false });
    if (this.streamWanted()) this.startStream();
  }

  /** The component went away (navigation inside the app): leave if still in, stop everything. */
  dispose(): void {
    if (this.disposed) return;
    if (this.active) void this.sendLeave().catch(() => undefined);
    this.halt();
    this.stopStream();
    this.disposed = true;
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Presence: join, heartbeats, retries
  // -------------------------------------------------------------------------------------------

  /** Cancels timers and makes in-flight answers stale. */
  private halt(): void {
    this.epoch++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async connect(): Promise<void> {
    const epoch = ++this.epoch;
    clearTimeout(this.timer);
    if (this.state.phase !== "joining") this.set({ retryAt: null });
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new Error("The join request timed out.")), JOIN_TIMEOUT_MS);
    const joining = this.options.api.join(this.input, controller.signal);
    this.inflightJoin = joining;
    try {
      const answer = await joining;
      if (epoch !== this.epoch) return;
      const now = this.options.now();
      const recovering = this.outageStartedAt !== null;
      if (!this.everConnected) this.report("connection_succeeded", now - (this.connectStartedAt ?? now));
      else if (recovering) this.report("reconnect", now - this.outageStartedAt!);
      this.everConnected = true;
      this.outageStartedAt = null;
      this.debug((debug) => ({ joins: debug.joins + 1 }));
      this.set({
        phase: "connected",
        attempt: 0,
        retryAt: null,
        error: null,
        connections: answer.connections,
        joinedAt: new Date(answer.joinedAt).toISOString(),
        heartbeatIntervalMs: answer.heartbeatIntervalMs,
      });
      // Whatever the stream did during the outage, a fresh snapshot is the truth now.
      if (recovering) this.restartStream(true);
      this.scheduleHeartbeat();
    } catch (error) {
      if (epoch !== this.epoch) return;
      this.recordError("join", error);
      this.fail(error);
    } finally {
      clearTimeout(deadline);
      if (this.inflightJoin === joining) this.inflightJoin = null;
    }
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.heartbeat(), this.state.heartbeatIntervalMs);
  }

  private async heartbeat(): Promise<void> {
    const epoch = ++this.epoch;
    const started = this.options.now();
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new Error("The heartbeat timed out.")),
      heartbeatTimeoutMs(this.state.heartbeatIntervalMs),
    );
    try {
      const answer = await this.options.api.heartbeat(this.input, controller.signal);
      if (epoch !== this.epoch) return;
      const at = this.options.now();
      this.debug((debug) => ({
        heartbeats: [{ at, latencyMs: at - started, status: answer.status }, ...debug.heartbeats].slice(0, DEBUG_KEEP),
      }));
      this.set({ heartbeatIntervalMs: answer.heartbeatIntervalMs });
      if (answer.status === "replaced") {
        // A newer tab took this one's place: stop here, without joining back (that would close
        // another tab in turn) and without the stream.
        this.halt();
        this.stopStream();
        this.set({ phase: "replaced", retryAt: null, error: { message: REPLACED_MESSAGE, reason: answer.reason } });
        return;
      }
      if (answer.status === "left") {
        // The user pressed Leave in another tab: this one is out too, and stays out until Rejoin.
        this.halt();
        this.set({
          phase: "left",
          retryAt: null,
          attempt: 0,
          error: { message: LEFT_ELSEWHERE_MESSAGE, reason: null },
        });
        return;
      }
      if (answer.status === "removed") {
        this.removed();
        return;
      }
      if (answer.status === "rejoin") {
        // The server no longer knows this tab (evicted while it was away): join again by itself.
        this.outageStartedAt ??= at;
        this.set({ phase: "reconnecting", retryAt: null });
        void this.connect();
        return;
      }
      this.scheduleHeartbeat();
    } catch (error) {
      if (epoch !== this.epoch) return;
      const at = this.options.now();
      this.debug((debug) => ({
        heartbeats: [{ at, latencyMs: at - started, status: "failed" as const }, ...debug.heartbeats].slice(
          0,
          DEBUG_KEEP,
        ),
      }));
      this.recordError("heartbeat", error);
      this.fail(error);
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Sorts a failed join or heartbeat into: signed out, session over, retry later, or give up. */
  private fail(error: unknown): void {
    const reason = failureReason(error) ?? null;
    const signOut = definiteSignOutReason(error) ?? (reason && NO_CREDENTIALS.has(reason) ? reason : null);
    if (signOut) {
      this.signedOut(signOut);
      return;
    }
    if (reason === "SESSION_NOT_LIVE") {
      void this.checkStatus(error);
      return;
    }
    if (reason === REMOVED_BY_HOST) {
      this.removed();
      return;
    }
    if (reason === NOT_ENROLLED) {
      this.notEnrolled(error);
      return;
    }
    const transient =
      isRetryableFailure(error) ||
      reason === "SERVICE_UNAVAILABLE" ||
      reason === "RATE_LIMITED" ||
      reason === "ACCESS_TOKEN_EXPIRED";
    if (transient) {
      this.report("connection_failed");
      this.scheduleRetry(error, this.options.isOnline() ? "reconnecting" : "offline");
      return;
    }
    this.halt();
    this.set({ phase: "failed", retryAt: null, error: { message: errorMessage(error), reason } });
  }

  private scheduleRetry(error: unknown, phase: "reconnecting" | "offline"): void {
    this.halt();
    const now = this.options.now();
    this.outageStartedAt ??= now;
    const attempt = this.state.attempt;
    const delay = Math.max(this.options.minRetryMs, backoffDelay(attempt, this.options.backoff), retryAfterOf(error));
    this.debug((debug) => ({ retries: debug.retries + 1 }));
    this.set({ phase, attempt: attempt + 1, retryAt: now + delay });
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  /** A join refused with SESSION_NOT_LIVE: ended or cancelled means the room is over. */
  private async checkStatus(error: unknown): Promise<void> {
    const epoch = ++this.epoch;
    try {
      const status = await this.options.api.status(this.input.sessionId);
      if (epoch !== this.epoch) return;
      if (status === "ENDED" || status === "CANCELLED") this.ended(status);
      else
        this.set({
          phase: "failed",
          retryAt: null,
          error: { message: errorMessage(error), reason: "SESSION_NOT_LIVE" },
        });
    } catch (statusError) {
      if (epoch !== this.epoch) return;
      this.recordError("status", statusError);
      this.scheduleRetry(statusError, this.options.isOnline() ? "reconnecting" : "offline");
    }
  }

  // -------------------------------------------------------------------------------------------
  // The event stream
  // -------------------------------------------------------------------------------------------

  private streamWanted(): boolean {
    return (
      !this.disposed && !this.suspended && (this.active || this.state.phase === "ready" || this.state.phase === "left")
    );
  }

  private startStream(): void {
    if (this.unsubscribeStream || !this.streamWanted()) return;
    clearTimeout(this.streamTimer);
    this.set({ stream: this.state.stream === "idle" ? "connecting" : "reconnecting" });
    let closed = false;
    const unsubscribe = this.options.api.subscribe(this.input.sessionId, this.lastEventId, {
      onData: (envelope) => {
        if (closed) return;
        this.onEvent(envelope);
      },
      onStateChange: (transport) => {
        if (closed) return;
        // The browser's EventSource reconnects by itself; the server answers with a new snapshot.
        if (transport === "connecting" && this.state.stream === "open") this.set({ stream: "reconnecting" });
      },
      onError: (error) => {
        if (closed) return;
        closed = true;
        this.unsubscribeStream = null;
        this.recordError("stream", error);
        const signOut = definiteSignOutReason(error);
        if (signOut) {
          this.signedOut(signOut);
          return;
        }
        if (failureReason(error) === NOT_ENROLLED) {
          this.notEnrolled(error);
          return;
        }
        this.scheduleStreamRestart();
      },
      onComplete: () => {
        if (closed) return;
        closed = true;
        this.unsubscribeStream = null;
        this.scheduleStreamRestart();
      },
    });
    this.unsubscribeStream = () => {
      closed = true;
      unsubscribe();
    };
  }

  private scheduleStreamRestart(): void {
    if (!this.streamWanted()) {
      this.set({ stream: "idle" });
      return;
    }
    this.set({ stream: "reconnecting" });
    clearTimeout(this.streamTimer);
    const delay = Math.max(this.options.minRetryMs, backoffDelay(this.streamAttempt++, this.options.backoff));
    this.streamTimer = setTimeout(() => {
      this.debug((debug) => ({ streamRestarts: debug.streamRestarts + 1 }));
      this.startStream();
    }, delay);
  }

  private stopStream(): void {
    clearTimeout(this.streamTimer);
    clearTimeout(this.gapTimer);
    this.unsubscribeStream?.();
    this.unsubscribeStream = null;
    if (this.state.stream !== "idle") this.set({ stream: "idle" });
  }

  /** `fresh`: forget the position, so the server answers with a snapshot instead of a resume. */
  private restartStream(fresh = false): void {
    if (fresh) this.lastEventId = null;
    this.stopStream();
    this.debug((debug) => ({ streamRestarts: debug.streamRestarts + 1 }));
    this.startStream();
  }

  private onEvent({ id, data }: RoomEnvelope): void {
    this.lastEventId = id;
    const now = this.options.now();
    this.debug((debug) => ({
      events: debug.events + 1,
      lastEventAt: now,
      snapshots: debug.snapshots + (data.type === "snapshot" ? 1 : 0),
    }));
    switch (data.type) {
      case "snapshot":
        this.streamAttempt = 0;
        this.membershipSeq = data.participants.seq;
        this.set({
          stream: "open",
          interaction: data.interaction ? interactionFrom(data.interaction, this.state.interaction) : EMPTY_INTERACTION,
        });
        this.onParticipantEvents([data.participants], now);
        return;
      case "resumed":
        this.streamAttempt = 0;
        this.membershipSeq = data.seq;
        this.set({ stream: "open" });
        // In the room but without its chat (the tab missed the moment it joined): start over.
        if (data.joined && !this.state.interaction.loaded) this.restartStream(true);
        // Out of the room now: the chat stops.
        else if (!data.joined && this.state.interaction.loaded) {
          this.set({ interaction: { ...this.state.interaction, loaded: false } });
        }
        return;
      case "participants":
        this.onParticipantEvents(data.events, now);
        return;
      case "interaction":
        this.set({ interaction: interactionFrom(data.interaction, this.state.interaction) });
        return;
      case "reactions":
        this.showReactions(data.counts);
        return;
      default:
        this.set({ interaction: applyInteractionEvent(this.state.interaction, data, this.options.userId ?? null) });
    }
  }

  /** The chat panel was seen: no unread messages. */
  markChatRead(): void {
    const interaction = markRead(this.state.interaction);
    if (interaction !== this.state.interaction) this.set({ interaction });
  }

  /** Applies an answer of the API (a sent message, older messages…) as the stream would. */
  updateInteraction(update: (view: InteractionView) => InteractionView): void {
    this.set({ interaction: update(this.state.interaction) });
  }

  private showReactions(counts: Partial<Record<Reaction, number>>): void {
    const bursts = Object.entries(counts).map(([reaction, count]) => ({
      key: ++this.reactionKey,
      reaction: reaction as Reaction,
      count: count ?? 0,
    }));
    if (bursts.length === 0) return;
    this.set({ reactions: [...this.state.reactions, ...bursts].slice(-12) });
    const keys = new Set(bursts.map((burst) => burst.key));
    setTimeout(() => {
      if (this.disposed) return;
      this.set({ reactions: this.state.reactions.filter((burst) => !keys.has(burst.key)) });
    }, REACTION_SHOWN_MS);
  }

  private onParticipantEvents(events: ParticipantEvent[], now: number): void {
    let participants = this.state.participants;
    for (const event of events) participants = applyParticipantEvent(participants, event, now);
    this.set({ participants });

    const status = participants.status;
    if (status === "ENDED" || status === "CANCELLED") {
      this.ended(status);
      return;
    }
    // This user's own changes, counted as the server counts them: each once, in seq order; one at or
    // below the last counted is old news (a copy, or already part of a snapshot) and changes nothing.
    const { userId } = this.options;
    let removed = false;
    let leftRoom = false;
    for (const event of events) {
      if (event.type === "snapshot" || event.seq <= this.membershipSeq) continue;
      this.membershipSeq = event.seq;
      if (event.type === "left" && userId && event.userIds.includes(userId)) {
        leftRoom = true;
        removed ||= event.reason === "REMOVED";
      } else if ((event.type === "joined" || event.type === "updated") && event.participant.userId === userId) {
        leftRoom = false;
      }
    }
    if (removed) {
      this.removed();
      return;
    }
    // Out of the room, the chat stops: on joining again the server sends it afresh.
    if (leftRoom && this.state.interaction.loaded) {
      this.set({ interaction: { ...this.state.interaction, loaded: false } });
    }
    clearTimeout(this.gapTimer);
    if (participants.pendingSince !== null) {
      // A delta is missing: wait a moment for it, then take a fresh snapshot instead.
      this.gapTimer = setTimeout(() => {
        if (hasStaleGap(this.state.participants, this.options.now(), this.options.gapGraceMs - 1))
          this.restartStream(true);
      }, this.options.gapGraceMs);
    }
  }
}
