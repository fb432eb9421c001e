import type { MediaStateView } from "@livehall/api";
import type { Backoff } from "@livehall/api/client";
import { useEffect, useState, useSyncExternalStore } from "react";
import { apiClient } from "../api.client";
import type { RoomPhase } from "../room/connection";
import { roomConnectionId } from "../room/connection-id";
import { MediaConnection } from "./media-connection";
import { INITIAL_MEDIA_STATE, type MediaConnectionState } from "./media-state";

/** The phases in which a tab that joined keeps its media (the room reconnects presence meanwhile). */
const KEEPS_MEDIA: ReadonlySet<RoomPhase> = new Set(["connected", "joining", "reconnecting", "offline"]);

const noopSubscribe = () => () => undefined;
const initial = () => INITIAL_MEDIA_STATE;

/**
 * The room tab's media, following the room: it starts once the tab is connected (after Join) and
 * stops — tracks ended, PeerConnections closed, the Janus session and its handles gone — as soon as
 * the tab is not in the room any more (Leave, removal, session end, sign-out, another tab taking
 * over), on pagehide, and when the page goes away (navigation inside the app unmounts it).
 */
export function useRoomMedia({
  sessionId,
  enabled,
  phase,
  media,
  backoff,
}: {
  sessionId: string;
  /** The deployment has media servers. */
  enabled: boolean;
  phase: RoomPhase;
  /** The session's media state from the participant stream. */
  media: MediaStateView | null;
  backoff: Backoff;
}): { connection: MediaConnection | null; state: MediaConnectionState } {
  const [connection, setConnection] = useState<MediaConnection | null>(null);
  // Started by "connected"; kept through the room's own reconnects.
  const wanted = enabled && (phase === "connected" || (connection !== null && KEEPS_MEDIA.has(phase)));
  const { baseMs, capMs } = backoff;

  useEffect(() => {
    if (!wanted) return;
    const connectionId = roomConnectionId(sessionId);
    const current = new MediaConnection({
      access: () => apiClient().session.media.mutate({ sessionId, connectionId }),
      backoff: { baseMs, capMs },
    });
    setConnection(current);
    current.start();
    // Synchronously, before the page is frozen or gone: the room's own pagehide leaves the session.
    const onPageHide = () => current.stop({ onExit: true });
    window.addEventListener("pagehide", onPageHide);
    return () => {
      window.removeEventListener("pagehide", onPageHide);
      current.stop();
      setConnection(null);
    };
  }, [wanted, sessionId, baseMs, capMs]);

  useEffect(() => {
    connection?.setMediaState(media);
  }, [connection, media]);

  const state = useSyncExternalStore(
    connection ? connection.subscribe : noopSubscribe,
    connection ? connection.getState : initial,
    initial,
  );
  return { connection, state };
}
