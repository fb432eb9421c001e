import type { MediaStateView } from "@livehall/api";
import { backoffDelay, failureReason, isRetryableFailure, type Backoff } from "@livehall/api/client";

/**
 * The room's media, as pure data and a reducer (MediaConnection in media-connection.ts runs the
 * effects and dispatches here), so the rules — which feeds a tab receives, when a failure is retried
 * and how long it waits, what the status indicator says — are unit-tested without a browser.
 */

export type MediaRole = "publisher" | "subscriber";
export type FeedKind = "camera" | "screen";
export interface Feed {
  id: number;
  kind: FeedKind;
}
export interface OwnFeeds {
  camera: number;
  screen: number;
}

/**
 * off: not connected (not in the room, or stopped); connecting: the first attempt; connected: a Janus
 * session is open; reconnecting: an attempt failed, the next one waits for `retryAt`.
 */
export type MediaStatus = "off" | "connecting" | "connected" | "reconnecting";
/** A feed this tab sends: off, being started (devices, signalling), or live. */
export type LocalFeedState = "off" | "starting" | "live";

export interface MediaProblem {
  message: string;
  reason: string | null;
}

export interface RemoteFeed extends Feed {
  state: "connecting" | "live";
  stream: MediaStream | null;
}

export interface MediaConnectionState {
  status: MediaStatus;
  /** Consecutive failed attempts (reset once media flows again). */
  attempt: number;
  retryAt: number | null;
  /** Why media is not connected (the last failure), or why it stopped for good. */
  problem: MediaProblem | null;
  role: MediaRole | null;
  /** The feed ids this tab may publish (publishers). */
  feeds: OwnFeeds | null;
  local: Record<FeedKind, { state: LocalFeedState; stream: MediaStream | null }>;
  microphoneOn: boolean;
  cameraOn: boolean;
  /** A camera, microphone or screen that could not be opened (shown next to the controls). */
  deviceProblem: MediaProblem | null;
  /** The feeds this tab receives, by feed id. */
  remote: Readonly<Record<number, RemoteFeed>>;
  /** Successful reconnects since the room was joined (debug panel). */
  reconnects: number;
}

export const INITIAL_MEDIA_STATE: MediaConnectionState = {
  status: "off",
  attempt: 0,
  retryAt: null,
  problem: null,
  role: null,
  feeds: null,
  local: { camera: { state: "off", stream: null }, screen: { state: "off", stream: null } },
  microphoneOn: true,
  cameraOn: true,
  deviceProblem: null,
  remote: {},
  reconnects: 0,
};

export type MediaAction =
  | { type: "connecting" }
  | { type: "connected"; role: MediaRole; feeds: OwnFeeds | null; at: number }
  /** Media flows (a PeerConnection connected), or there is nothing to send or receive: the outage is over. */
  | { type: "flowing" }
  | { type: "failed"; problem: MediaProblem; retryAt: number }
  | { type: "stopped"; problem?: MediaProblem | null }
  | { type: "local"; kind: FeedKind; state: LocalFeedState; stream?: MediaStream | null }
  | { type: "microphone"; on: boolean }
  | { type: "camera"; on: boolean }
  | { type: "device-problem"; problem: MediaProblem | null }
  | { type: "remote"; feed: Feed; state: RemoteFeed["state"]; stream: MediaStream | null }
  | { type: "remote-gone"; id: number };

export function mediaReducer(state: MediaConnectionState, action: MediaAction): MediaConnectionState {
  switch (action.type) {
    case "connecting":
      return { ...state, status: state.attempt > 0 ? "reconnecting" : "connecting", retryAt: null };
    case "connected":
      return {
        ...state,
        status: "connected",
        retryAt: null,
        role: action.role,
        feeds: action.feeds,
        reconnects: state.attempt > 0 ? state.reconnects + 1 : state.reconnects,
      };
    case "flowing":
      return state.status === "connected" ? { ...state, attempt: 0, problem: null } : state;
    case "failed":
      return {
        ...state,
        status: "reconnecting",
        attempt: state.attempt + 1,
        retryAt: action.retryAt,
        problem: action.problem,
        // What this tab received went with the connection; what it sends comes back on the next one.
        remote: {},
      };
    case "stopped":
      return { ...INITIAL_MEDIA_STATE, problem: action.problem ?? null, reconnects: state.reconnects };
    case "local": {
      const stream = action.stream === undefined ? state.local[action.kind].stream : action.stream;
      return { ...state, local: { ...state.local, [action.kind]: { state: action.state, stream } } };
    }
    case "microphone":
      return { ...state, microphoneOn: action.on };
    case "camera":
      return { ...state, cameraOn: action.on };
    case "device-problem":
      return { ...state, deviceProblem: action.problem };
    case "remote":
      return {
        ...state,
        remote: { ...state.remote, [action.feed.id]: { ...action.feed, state: action.state, stream: action.stream } },
      };
    case "remote-gone": {
      if (!(action.id in state.remote)) return state;
      const remote = { ...state.remote };
      delete remote[action.id];
      return { ...state, remote };
    }
  }
}

/** What the stage shows: the first camera and the first screen the session's media state lists. */
export function stageFeeds(media: MediaStateView | null): { camera: Feed | null; screen: Feed | null } {
  const feeds = media?.available ? media.feeds : [];
  return {
    camera: feeds.find((feed) => feed.kind === "camera") ?? null,
    screen: feeds.find((feed) => feed.kind === "screen") ?? null,
  };
}

/** The feeds this tab subscribes to: those on the stage that it does not send itself. */
export function feedsToReceive(media: MediaStateView | null, own: OwnFeeds | null): Feed[] {
  const { camera, screen } = stageFeeds(media);
  return [camera, screen].filter(
    (feed): feed is Feed => feed !== null && feed.id !== own?.camera && feed.id !== own?.screen,
  );
}

/** Which subscriptions to open and which to close, from those open (feed ids) and those wanted. */
export function subscriptionChanges(open: Iterable<number>, wanted: Feed[]): { add: Feed[]; remove: number[] } {
  const openIds = new Set(open);
  const wantedIds = new Set(wanted.map((feed) => feed.id));
  return {
    add: wanted.filter((feed) => !openIds.has(feed.id)),
    remove: [...openIds].filter((id) => !wantedIds.has(id)),
  };
}

/** The shortest wait between two attempts (full jitter can draw 0). */
export const MIN_MEDIA_RETRY_MS = 500;

/** How long the attempt after `attempt` consecutive failures waits: exponential backoff with full jitter. */
export function mediaRetryDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  return Math.max(MIN_MEDIA_RETRY_MS, backoffDelay(attempt, backoff, random));
}

/** After this many failed attempts in a row the room says plainly that media cannot connect (and keeps trying). */
export const CANNOT_CONNECT_AFTER = 3;

const MEDIA_SERVER_DOWN =
  "Video is not available right now. The room keeps trying; you can stay in the session meanwhile.";

const TRANSIENT = new Set(["RATE_LIMITED", "ACCESS_TOKEN_EXPIRED"]);

/**
 * Sorts a failure: retried (the network, the media server, a closed connection) or final (this tab is
 * not in the session any more, or not signed in: the room's own state says why).
 */
export function classifyMediaFailure(error: unknown): { problem: MediaProblem; retry: boolean } {
  const reason = failureReason(error) ?? null;
  if (reason === "NOT_IN_SESSION" || reason === "UNAUTHENTICATED" || reason === "SESSION_REVOKED") {
    return { problem: { message: "Video stopped because you are no longer in the room.", reason }, retry: false };
  }
  if (reason === "MEDIA_UNAVAILABLE" || reason === "SERVICE_UNAVAILABLE") {
    return { problem: { message: MEDIA_SERVER_DOWN, reason }, retry: true };
  }
  if (reason && !isRetryableFailure(error) && !TRANSIENT.has(reason)) {
    return { problem: { message: messageOf(error), reason }, retry: false };
  }
  return { problem: { message: messageOf(error), reason }, retry: true };
}

function messageOf(error: unknown): string {
  return error instanceof Error && error.message ? error.message : "The video connection was interrupted.";
}

export type MediaIndicatorTone = "live" | "busy" | "warning" | "error" | "neutral";

export interface MediaIndicator {
  /** For tests and styling. */
  kind: "off" | "connecting" | "live" | "ready" | "reconnecting" | "cannot-connect" | "unavailable";
  tone: MediaIndicatorTone;
  /** What the status pill (and its live region) says. */
  words: string;
  /** What to try, when something is wrong. */
  hint: string | null;
}

/** The room's media status in words, for the status indicator and its live region. */
export function mediaIndicator(
  state: Pick<MediaConnectionState, "status" | "attempt" | "role" | "local" | "remote">,
  media: MediaStateView | null,
): MediaIndicator {
  if (media && !media.available) {
    return {
      kind: "unavailable",
      tone: "warning",
      words: "Video unavailable",
      hint: "The video server is not answering. The class goes on; video comes back by itself.",
    };
  }
  switch (state.status) {
    case "off":
      return { kind: "off", tone: "neutral", words: "Video off", hint: null };
    case "connecting":
      return { kind: "connecting", tone: "busy", words: "Video connecting…", hint: null };
    case "reconnecting":
      if (state.attempt >= CANNOT_CONNECT_AFTER) {
        return {
          kind: "cannot-connect",
          tone: "error",
          words: "Video cannot connect",
          hint: "Your network may block video calls (a firewall, VPN or school network). Try another network or switch the VPN off; the room keeps trying.",
        };
      }
      return { kind: "reconnecting", tone: "warning", words: "Video reconnecting…", hint: null };
    case "connected": {
      const sending = state.local.camera.state === "live" || state.local.screen.state === "live";
      const receiving = Object.values(state.remote).some((feed) => feed.state === "live");
      if (sending || receiving) return { kind: "live", tone: "live", words: "Video live", hint: null };
      return { kind: "ready", tone: "neutral", words: "Video ready", hint: null };
    }
  }
}
