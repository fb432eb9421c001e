import type { Backoff } from "@livehall/api/client";
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import {
  apiClient,
  authSession,
  flushTelemetryOnExit,
  onSignedOut,
  presenceClient,
  record,
  sendMutationOnExit,
} from "../api.client";
import { initialRoomState, RoomConnection, type RoomState } from "./connection";
import { roomConnectionId } from "./connection-id";
import { applyInteractionEvent } from "./interaction";
import { ChatOutbox, type PendingMessage } from "./outbox";
import type { ParticipantsState } from "./participants";
import { trpcRoomApi } from "./trpc-room-api";

export interface UseRoomOptions {
  sessionId: string;
  /** Signed in and the session is live: follow who is there, ready to join (the page's Join button). */
  enabled: boolean;
  /** The signed-in user (the stream telling they were removed closes their tabs). */
  userId: string | null;
  heartbeatIntervalMs: number;
  backoff: Backoff;
  participants: ParticipantsState;
}

/**
 * Rooms by session and connection id, released a tick after their last user unmounts: React's
 * StrictMode (development) mounts, unmounts and mounts again at once, which must not send a leave
 * and a join that race each other.
 */
interface RoomEntry {
  room: RoomConnection;
  outbox: ChatOutbox;
  users: number;
  release?: ReturnType<typeof setTimeout>;
}
const rooms = new Map<string, RoomEntry>();

function acquire(key: string, create: () => Omit<RoomEntry, "users">): RoomEntry {
  const existing = rooms.get(key);
  if (existing) {
    clearTimeout(existing.release);
    existing.users++;
    return existing;
  }
  const entry = { ...create(), users: 1 };
  rooms.set(key, entry);
  return entry;
}

function release(key: string): void {
  const entry = rooms.get(key);
  if (!entry) return;
  entry.users--;
  if (entry.users > 0) return;
  entry.release = setTimeout(() => {
    rooms.delete(key);
    entry.room.dispose();
    entry.outbox.dispose();
  }, 0);
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const NO_PENDING: PendingMessage[] = [];

const noopSubscribe = () => () => undefined;

/**
 * The room of this tab for a live session: when enabled it follows the participant stream and waits
 * on the pre-join screen (`ready`) until `room.start()` (the Join button); once in, it heartbeats,
 * recovers, and leaves on pagehide (sendBeacon) and when the page unmounts.
 */
export function useRoom({ sessionId, enabled, userId, heartbeatIntervalMs, backoff, participants }: UseRoomOptions) {
  const [room, setRoom] = useState<RoomConnection | null>(null);
  const [outbox, setOutbox] = useState<ChatOutbox | null>(null);
  const fallback = useMemo(
    () => initialRoomState({ heartbeatIntervalMs, participants }),
    [heartbeatIntervalMs, participants],
  );

  const { baseMs, capMs } = backoff;
  useEffect(() => {
    if (!enabled) return;
    const connectionId = roomConnectionId(sessionId);
    const key = `${sessionId}:${connectionId}`;
    const { room: current, outbox: chat } = acquire(key, () => {
      const created = new RoomConnection({
        sessionId,
        connectionId,
        ...(userId ? { userId } : {}),
        api: trpcRoomApi({
          presence: presenceClient(),
          other: apiClient(),
          leaveOnExit: (input) => void sendMutationOnExit("session.leave", input),
        }),
        backoff: { baseMs, capMs },
        heartbeatIntervalMs,
        participants,
        telemetry: record,
        isOnline: () => navigator.onLine,
      });
      const pending = new ChatOutbox({
        sessionId,
        send: (input) => presenceClient().session.sendMessage.mutate(input),
        onSent: (message) =>
          created.updateInteraction((view) =>
            applyInteractionEvent(view, { type: "chat.posted", message }, userId ?? null),
          ),
        backoff: { baseMs, capMs },
        storage: safeSessionStorage(),
      });
      return { room: created, outbox: pending };
    });
    setRoom(current);
    setOutbox(chat);
    // Opening the page never joins: only the Join button does (a room that exists already keeps its phase).
    current.open();

    const onOnline = () => {
      current.browserOnline();
      chat.retryAll();
    };
    const onOffline = () => current.browserOffline();
    const onPageHide = () => {
      current.suspend();
      flushTelemetryOnExit();
    };
    const onPageShow = (event: PageTransitionEvent) => {
      if (event.persisted) current.resume();
    };
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    window.addEventListener("pagehide", onPageHide);
    window.addEventListener("pageshow", onPageShow);
    const stopSignedOut = onSignedOut((reason) => current.signedOut(reason));
    // The room learnt it first (its stream ended with the reason): the whole page, and the other
    // tabs, hear it from the tab's auth session.
    const stopWatching = current.subscribe(() => {
      const { phase, error } = current.getState();
      if (phase === "signed-out") authSession().signOut(error?.reason ?? "SESSION_REVOKED");
      // In the room: what a previous load of this page had not sent goes out again (same ids: stored once).
      if (phase === "connected") chat.restore();
    });
    return () => {
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("pagehide", onPageHide);
      window.removeEventListener("pageshow", onPageShow);
      stopSignedOut();
      stopWatching();
      release(key);
      setRoom(null);
      setOutbox(null);
    };
    // The participants seed and interval only matter when the room is created.
  }, [sessionId, enabled, userId, baseMs, capMs]);

  const state: RoomState = useSyncExternalStore(
    room ? room.subscribe : noopSubscribe,
    room ? room.getState : () => fallback,
    () => fallback,
  );
  const pending = useSyncExternalStore(
    outbox ? outbox.subscribe : noopSubscribe,
    outbox ? outbox.getState : () => NO_PENDING,
    () => NO_PENDING,
  );
  return { room, state, outbox, pending };
}
