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
const rooms = new Map<string, { room: RoomConnection; users: number; release?: ReturnType<typeof setTimeout> }>();

function acquire(key: string, create: () => RoomConnection): RoomConnection {
  const existing = rooms.get(key);
  if (existing) {
    clearTimeout(existing.release);
    existing.users++;
    return existing.room;
  }
  const room = create();
  rooms.set(key, { room, users: 1 });
  return room;
}

function release(key: string): void {
  const entry = rooms.get(key);
  if (!entry) return;
  entry.users--;
  if (entry.users > 0) return;
  entry.release = setTimeout(() => {
    rooms.delete(key);
    entry.room.dispose();
  }, 0);
}

const noopSubscribe = () => () => undefined;

/**
 * The room of this tab for a live session: when enabled it follows the participant stream and waits
 * on the pre-join screen (`ready`) until `room.start()` (the Join button); once in, it heartbeats,
 * recovers, and leaves on pagehide (sendBeacon) and when the page unmounts.
 */
export function useRoom({ sessionId, enabled, userId, heartbeatIntervalMs, backoff, participants }: UseRoomOptions) {
  const [room, setRoom] = useState<RoomConnection | null>(null);
  const fallback = useMemo(
    () => initialRoomState({ heartbeatIntervalMs, participants }),
    [heartbeatIntervalMs, participants],
  );

  const { baseMs, capMs } = backoff;
  useEffect(() => {
    if (!enabled) return;
    const connectionId = roomConnectionId(sessionId);
    const key = `${sessionId}:${connectionId}`;
    const current = acquire(
      key,
      () =>
        new RoomConnection({
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
        }),
    );
    setRoom(current);
    // Opening the page never joins: only the Join button does (a room that exists already keeps its phase).
    current.open();

    const onOnline = () => current.browserOnline();
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
    };
    // The participants seed and interval only matter when the room is created.
  }, [sessionId, enabled, userId, baseMs, capMs]);

  const state: RoomState = useSyncExternalStore(
    room ? room.subscribe : noopSubscribe,
    room ? room.getState : () => fallback,
    () => fallback,
  );
  return { room, state };
}
