import type { MediaStateView } from "@livehall/api";
import { describe, expect, test } from "vitest";
import {
  CANNOT_CONNECT_AFTER,
  INITIAL_MEDIA_STATE,
  MIN_MEDIA_RETRY_MS,
  classifyMediaFailure,
  feedsToReceive,
  mediaIndicator,
  mediaReducer,
  mediaRetryDelay,
  stageFeeds,
  subscriptionChanges,
  type MediaAction,
  type MediaConnectionState,
} from "./media-state";

const media = (feeds: MediaStateView["feeds"], available = true): MediaStateView => ({ available, feeds });
const run = (actions: MediaAction[], from: MediaConnectionState = INITIAL_MEDIA_STATE) =>
  actions.reduce(mediaReducer, from);
/** A tRPC client error as the browser sees it (data.reason, data.httpStatus). */
const apiError = (reason: string, httpStatus: number) =>
  Object.assign(new Error(reason), { data: { reason, httpStatus } });

describe("which feeds a tab receives", () => {
  test("the stage shows the first camera and the first screen of an available room", () => {
    const state = media([
      { id: 1, kind: "camera" },
      { id: 2, kind: "camera" },
      { id: 3, kind: "screen" },
    ]);
    expect(stageFeeds(state)).toEqual({ camera: { id: 1, kind: "camera" }, screen: { id: 3, kind: "screen" } });
    expect(stageFeeds(media([{ id: 1, kind: "camera" }], false))).toEqual({ camera: null, screen: null });
    expect(stageFeeds(null)).toEqual({ camera: null, screen: null });
  });

  test("a publisher never subscribes to its own feeds; a student subscribes to the stage", () => {
    const state = media([
      { id: 1, kind: "camera" },
      { id: 3, kind: "screen" },
    ]);
    expect(feedsToReceive(state, null).map((feed) => feed.id)).toEqual([1, 3]);
    expect(feedsToReceive(state, { camera: 1, screen: 3 })).toEqual([]);
    expect(feedsToReceive(state, { camera: 1, screen: 4 }).map((feed) => feed.id)).toEqual([3]);
  });

  test("subscriptions to open and to close", () => {
    expect(
      subscriptionChanges(
        [1, 2],
        [
          { id: 2, kind: "camera" },
          { id: 5, kind: "screen" },
        ],
      ),
    ).toEqual({ add: [{ id: 5, kind: "screen" }], remove: [1] });
    expect(subscriptionChanges([], [])).toEqual({ add: [], remove: [] });
  });
});

describe("reconnecting", () => {
  const backoff = { baseMs: 500, capMs: 8_000 };

  test("the wait grows exponentially up to the cap, with full jitter, never below the minimum", () => {
    expect(mediaRetryDelay(0, backoff, () => 0)).toBe(MIN_MEDIA_RETRY_MS);
    expect(mediaRetryDelay(0, backoff, () => 0.999)).toBe(500);
    expect(mediaRetryDelay(3, backoff, () => 0.999)).toBe(3_996);
    expect(mediaRetryDelay(3, backoff, () => 0.5)).toBe(2_000);
    expect(mediaRetryDelay(20, backoff, () => 0.999)).toBe(7_992);
    // Full jitter: draws spread over the whole range.
    const draws = new Set(Array.from({ length: 50 }, () => mediaRetryDelay(4, backoff)));
    expect(draws.size).toBeGreaterThan(10);
    for (const draw of draws) expect(draw).toBeGreaterThanOrEqual(MIN_MEDIA_RETRY_MS);
  });

  test("failures count up until media flows again; remote feeds go with the connection", () => {
    const connected = run([
      { type: "connecting" },
      { type: "connected", role: "subscriber", feeds: null, at: 1 },
      { type: "remote", feed: { id: 7, kind: "camera" }, state: "live", stream: null },
    ]);
    expect(connected).toMatchObject({ status: "connected", attempt: 0, reconnects: 0 });
    const failed = run(
      [
        { type: "failed", problem: { message: "lost", reason: null }, retryAt: 10 },
        { type: "connecting" },
        { type: "failed", problem: { message: "lost again", reason: null }, retryAt: 20 },
      ],
      connected,
    );
    expect(failed).toMatchObject({ status: "reconnecting", attempt: 2, retryAt: 20, remote: {} });
    expect(mediaReducer(failed, { type: "connecting" }).status).toBe("reconnecting");
    const back = run([{ type: "connected", role: "subscriber", feeds: null, at: 30 }, { type: "flowing" }], failed);
    expect(back).toMatchObject({ status: "connected", attempt: 0, problem: null, reconnects: 1 });
    // "flowing" only counts while connected.
    expect(mediaReducer(failed, { type: "flowing" }).attempt).toBe(2);
  });

  test("stopping forgets everything but the reconnect count and why it stopped", () => {
    const stopped = run([
      { type: "connected", role: "publisher", feeds: { camera: 1, screen: 2 }, at: 1 },
      { type: "local", kind: "camera", state: "live", stream: null },
      { type: "microphone", on: false },
      { type: "stopped", problem: { message: "out", reason: "NOT_IN_SESSION" } },
    ]);
    expect(stopped).toEqual({ ...INITIAL_MEDIA_STATE, problem: { message: "out", reason: "NOT_IN_SESSION" } });
  });

  test("failures: the network and the media server are retried; not being in the room any more is final", () => {
    expect(classifyMediaFailure(new TypeError("Failed to fetch")).retry).toBe(true);
    expect(classifyMediaFailure(apiError("MEDIA_UNAVAILABLE", 503))).toMatchObject({
      retry: true,
      problem: { reason: "MEDIA_UNAVAILABLE" },
    });
    expect(classifyMediaFailure(apiError("RATE_LIMITED", 429)).retry).toBe(true);
    expect(classifyMediaFailure(apiError("ACCESS_TOKEN_EXPIRED", 401)).retry).toBe(true);
    expect(classifyMediaFailure(apiError("NOT_IN_SESSION", 403))).toMatchObject({
      retry: false,
      problem: { message: "Video stopped because you are no longer in the room." },
    });
    expect(classifyMediaFailure(apiError("INVALID_INPUT", 400)).retry).toBe(false);
  });
});

describe("the status indicator", () => {
  test("says what media is doing, and what to try once it cannot connect", () => {
    const state = (patch: Partial<MediaConnectionState>) => ({ ...INITIAL_MEDIA_STATE, ...patch });
    expect(mediaIndicator(state({}), null).words).toBe("Video off");
    expect(mediaIndicator(state({ status: "connecting" }), null).kind).toBe("connecting");
    expect(mediaIndicator(state({ status: "connected" }), null)).toMatchObject({ kind: "ready", words: "Video ready" });
    expect(
      mediaIndicator(
        state({ status: "connected", remote: { 1: { id: 1, kind: "camera", state: "live", stream: null } } }),
        null,
      ).words,
    ).toBe("Video live");
    expect(
      mediaIndicator(
        state({
          status: "connected",
          local: { ...INITIAL_MEDIA_STATE.local, screen: { state: "live", stream: null } },
        }),
        null,
      ).kind,
    ).toBe("live");
    expect(mediaIndicator(state({ status: "reconnecting", attempt: 1 }), null)).toMatchObject({
      kind: "reconnecting",
      hint: null,
    });
    const cannot = mediaIndicator(state({ status: "reconnecting", attempt: CANNOT_CONNECT_AFTER }), null);
    expect(cannot).toMatchObject({ kind: "cannot-connect", words: "Video cannot connect" });
    expect(cannot.hint).toMatch(/firewall|VPN/);
    expect(mediaIndicator(state({ status: "connected" }), media([], false))).toMatchObject({ kind: "unavailable" });
  });
});
