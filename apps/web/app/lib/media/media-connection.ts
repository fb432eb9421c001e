import type { MediaStateView } from "@livehall/api";
import type { Backoff } from "@livehall/api/client";
import {
  cameraOffTrack,
  describeDeviceError,
  openCamera,
  openCameraAndMicrophone,
  openScreen,
  stopStream,
} from "./devices";
import { JanusRequestError, JanusSession, type JanusHandle } from "./janus-session";
import {
  classifyMediaFailure,
  feedsToReceive,
  INITIAL_MEDIA_STATE,
  mediaReducer,
  mediaRetryDelay,
  subscriptionChanges,
  type Feed,
  type FeedKind,
  type MediaAction,
  type MediaConnectionState,
  type MediaRole,
  type OwnFeeds,
} from "./media-state";
import { summarizeStats, type FeedStats, type FeedStatsSample } from "./stats";

/**
 * One room tab's media (docs/decisions/019): a Janus session opened with the tab's token from
 * session.media, one VideoRoom handle and RTCPeerConnection per feed it receives (the stage's camera
 * and screen) and per feed it sends (a publisher's camera with microphone, and screen).
 *
 * It reconnects by itself: a lost Janus session, a handle Janus detached or hung up, or a
 * PeerConnection that failed tears the connection down (local camera and screen stay open) and,
 * after a backoff with full jitter, asks session.media again with the same connection id — same
 * token, same feed ids, so no new participant row — then opens a new Janus session, subscribes
 * again and re-publishes what was live. `stop()` releases everything: tracks ended, PCs closed,
 * handles detached with the session.
 */

export interface MediaAccessAnswer {
  serverId: string;
  apiUrl: string;
  roomId: number;
  token: string;
  role: MediaRole;
  feeds: OwnFeeds | null;
  iceServers: RTCIceServer[];
}

export interface MediaConnectionOptions {
  /** session.media for this tab (same session and connection id every time). */
  access(): Promise<MediaAccessAnswer>;
  backoff: Backoff;
  now?: () => number;
  random?: () => number;
}

/** A PeerConnection "disconnected" for this long counts as failed. */
const DISCONNECTED_GRACE_MS = 4_000;
/** A feed Janus hung up while the media state still lists it: wait this long for the state to catch up. */
const GONE_GRACE_MS = 1_500;
/** A feed listed but not (yet, or any more) in Janus's room: ask again after this long. */
const NO_SUCH_FEED_RETRY_MS = 1_000;
/** VideoRoom: no such feed. */
const NO_SUCH_FEED = 428;

interface Peer {
  handle: JanusHandle;
  pc: RTCPeerConnection;
  disconnectedTimer?: ReturnType<typeof setTimeout>;
}
interface Subscription extends Peer {
  feed: Feed;
  stream: MediaStream;
}
interface Publication extends Peer {
  kind: FeedKind;
}

export interface FeedStatsRow extends FeedStats {
  feedId: number;
  kind: FeedKind;
}

export class MediaConnection {
  private state: MediaConnectionState = INITIAL_MEDIA_STATE;
  private readonly listeners = new Set<() => void>();
  private readonly options: Required<MediaConnectionOptions>;

  private epoch = 0;
  private running = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private janus: JanusSession | null = null;
  /** The previous Janus session, destroyed on the way to the next one. */
  private previous: JanusSession | null = null;
  private accessAnswer: MediaAccessAnswer | null = null;
  /** The private_id of this tab's silent publisher-type join: the room admits subscriptions only with it. */
  private privateId: number | null = null;
  private media: MediaStateView | null = null;
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly publications = new Map<FeedKind, Publication>();
  /** What the publisher wants live (kept across reconnects). */
  private readonly wantLive = new Set<FeedKind>();
  private cameraStream: MediaStream | null = null;
  private screenStream: MediaStream | null = null;
  private placeholder: MediaStreamTrack | null = null;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly samples = new Map<string, FeedStatsSample>();

  constructor(options: MediaConnectionOptions) {
    this.options = { now: () => Date.now(), random: Math.random, ...options };
  }

  getState = (): MediaConnectionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private dispatch(action: MediaAction): void {
    this.state = mediaReducer(this.state, action);
    for (const listener of this.listeners) listener();
  }

  // -------------------------------------------------------------------------------------------
  // Connecting and reconnecting
  // -------------------------------------------------------------------------------------------

  /** Starts media for a joined tab (the room calls it once the tab is connected). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** The session's media state changed (the participant stream): subscribe and unsubscribe to match. */
  setMediaState(media: MediaStateView | null): void {
    this.media = media;
    this.syncSubscriptions();
  }

  private async connect(): Promise<void> {
    const epoch = ++this.epoch;
    this.dispatch({ type: "connecting" });
    let janus: JanusSession | null = null;
    try {
      const access = await this.options.access();
      if (epoch !== this.epoch) return;
      // The previous session's publishers must be gone before the feed ids are used again.
      await this.previous?.forgotten();
      if (epoch !== this.epoch) return;
      this.previous = null;
      janus = await JanusSession.create(access.apiUrl, access.token);
      if (epoch !== this.epoch) {
        janus.destroy();
        return;
      }
      // VideoRoom checks the room's allowed tokens on publisher-type joins only, so the room requires a
      // subscription to name the private_id of such a join of its own tab: one silent join, kept while connected.
      const present = await (
        await janus.attach({})
      ).message({
        request: "join",
        ptype: "publisher",
        room: access.roomId,
        token: access.token,
      });
      if (epoch !== this.epoch) {
        janus.destroy();
        return;
      }
      this.privateId = Number(present.data.private_id);
      this.janus = janus;
      this.accessAnswer = access;
      janus.onLost((error) => this.fail(epoch, error));
      this.dispatch({ type: "connected", role: access.role, feeds: access.feeds, at: this.options.now() });
      if (access.role !== "publisher") this.wantLive.clear();
      // Nothing to send or receive yet: connected is all there is to wait for.
      if (this.wantLive.size === 0 && feedsToReceive(this.media, access.feeds).length === 0)
        this.dispatch({ type: "flowing" });
      this.syncSubscriptions();
      for (const kind of this.wantLive) void this.publish(kind, epoch);
    } catch (error) {
      janus?.destroy();
      this.fail(epoch, error);
    }
  }

  /** Something broke: tear down (keeping the local camera and screen), then try again after a backoff. */
  private fail(epoch: number, error: unknown): void {
    if (epoch !== this.epoch || !this.running) return;
    const { problem, retry } = classifyMediaFailure(error);
    this.teardown({ keepLocal: true });
    if (!retry) {
      this.release();
      this.dispatch({ type: "stopped", problem });
      return;
    }
    const delay = mediaRetryDelay(this.state.attempt, this.options.backoff, this.options.random);
    this.dispatch({ type: "failed", problem, retryAt: this.options.now() + delay });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  /** Skips the wait of a scheduled reconnect. */
  retryNow(): void {
    if (!this.running || this.state.status !== "reconnecting" || this.state.retryAt === null) return;
    clearTimeout(this.retryTimer);
    void this.connect();
  }

  /**
   * Releases everything: every local track ended (the camera light goes off), every PeerConnection
   * closed, the Janus session destroyed (Janus detaches its handles). `onExit` (pagehide) sends the
   * destroy so that it outlives the page.
   */
  stop({ onExit = false } = {}): void {
    if (!this.running && this.janus === null && !this.cameraStream && !this.screenStream) return;
    this.running = false;
    this.teardown({ keepLocal: false, onExit });
    this.release();
    this.dispatch({ type: "stopped" });
  }

  private release(): void {
    this.running = false;
    this.wantLive.clear();
    stopStream(this.cameraStream);
    stopStream(this.screenStream);
    this.placeholder?.stop();
    this.cameraStream = null;
    this.screenStream = null;
    this.placeholder = null;
  }

  /** Closes the Janus side: timers, subscriptions, publications, the session. */
  private teardown({ keepLocal, onExit = false }: { keepLocal: boolean; onExit?: boolean }): void {
    this.epoch++;
    clearTimeout(this.retryTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const subscription of this.subscriptions.values()) this.closePeer(subscription);
    this.subscriptions.clear();
    for (const publication of this.publications.values()) this.closePeer(publication);
    this.publications.clear();
    this.samples.clear();
    this.janus?.destroy({ onExit });
    this.previous = this.janus ?? this.previous;
    this.janus = null;
    this.accessAnswer = null;
    for (const kind of ["camera", "screen"] as const) {
      if (this.state.local[kind].state !== "off") {
        this.dispatch({ type: "local", kind, state: keepLocal && this.wantLive.has(kind) ? "starting" : "off" });
      }
    }
  }

  private closePeer(peer: Peer): void {
    clearTimeout(peer.disconnectedTimer);
    peer.pc.onicecandidate = null;
    peer.pc.ontrack = null;
    peer.pc.onconnectionstatechange = null;
    for (const receiver of peer.pc.getReceivers()) receiver.track?.stop();
    peer.pc.close();
    peer.handle.detach();
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private newPeerConnection(handle: JanusHandle, epoch: number, onConnected: () => void): Peer {
    const pc = new RTCPeerConnection({ iceServers: this.accessAnswer?.iceServers ?? [] });
    const peer: Peer = { handle, pc };
    pc.onicecandidate = (event) => handle.trickle(event.candidate);
    pc.onconnectionstatechange = () => {
      clearTimeout(peer.disconnectedTimer);
      if (pc.connectionState === "connected") {
        this.dispatch({ type: "flowing" });
        onConnected();
      } else if (pc.connectionState === "failed") {
        this.fail(epoch, new Error("The video connection failed."));
      } else if (pc.connectionState === "disconnected") {
        peer.disconnectedTimer = setTimeout(
          () => this.fail(epoch, new Error("The video connection was lost.")),
          DISCONNECTED_GRACE_MS,
        );
      }
    };
    return peer;
  }

  // -------------------------------------------------------------------------------------------
  // Receiving
  // -------------------------------------------------------------------------------------------

  private syncSubscriptions(): void {
    if (!this.janus || this.state.status !== "connected") return;
    const wanted = feedsToReceive(this.media, this.accessAnswer?.feeds ?? null);
    const { add, remove } = subscriptionChanges(this.subscriptions.keys(), wanted);
    for (const id of remove) this.unsubscribe(id);
    for (const feed of add) void this.receive(feed, this.epoch);
  }

  private isWanted(feedId: number): boolean {
    return feedsToReceive(this.media, this.accessAnswer?.feeds ?? null).some((feed) => feed.id === feedId);
  }

  private unsubscribe(feedId: number): void {
    const subscription = this.subscriptions.get(feedId);
    if (subscription) this.closePeer(subscription);
    this.subscriptions.delete(feedId);
    this.dispatch({ type: "remote-gone", id: feedId });
  }

  private async receive(feed: Feed, epoch: number): Promise<void> {
    const janus = this.janus;
    const access = this.accessAnswer;
    if (!janus || !access) return;
    let subscription: Subscription | null = null;
    try {
      const handle = await janus.attach({
        onRemoteCandidate: (candidate) => {
          if (candidate) void subscription?.pc.addIceCandidate(candidate).catch(() => undefined);
        },
        onPluginEvent: (_data, jsep) => {
          // Janus renegotiates (the publisher's streams changed): answer with the same PeerConnection.
          if (jsep && subscription) void this.answer(subscription, jsep).catch((error) => this.fail(epoch, error));
        },
        onGone: () => this.subscriptionGone(feed.id, subscription, epoch),
      });
      if (epoch !== this.epoch) return handle.detach();
      const stream = new MediaStream();
      const peer = this.newPeerConnection(handle, epoch, () =>
        this.dispatch({ type: "remote", feed, state: "live", stream }),
      );
      subscription = { ...peer, feed, stream };
      peer.pc.ontrack = (event) => {
        stream.addTrack(event.track);
        this.dispatch({ type: "remote", feed, state: this.state.remote[feed.id]?.state ?? "connecting", stream });
      };
      this.subscriptions.set(feed.id, subscription);
      this.dispatch({ type: "remote", feed, state: "connecting", stream });
      const joined = await handle.message({
        request: "join",
        ptype: "subscriber",
        room: access.roomId,
        token: access.token,
        private_id: this.privateId,
        streams: [{ feed: feed.id }],
      });
      if (epoch !== this.epoch || this.subscriptions.get(feed.id) !== subscription) return;
      if (!joined.jsep) throw new JanusRequestError("The media server sent no offer.", null);
      await this.answer(subscription, joined.jsep);
    } catch (error) {
      if (epoch !== this.epoch) return;
      if (error instanceof JanusRequestError && error.code === NO_SUCH_FEED) {
        // Listed, but Janus does not have it (just stopped, or not quite started): look again soon.
        if (this.subscriptions.get(feed.id) === subscription) this.unsubscribe(feed.id);
        this.later(() => this.syncSubscriptions(), NO_SUCH_FEED_RETRY_MS);
        return;
      }
      this.fail(epoch, error);
    }
  }

  private async answer(subscription: Subscription, offer: RTCSessionDescriptionInit): Promise<void> {
    await subscription.pc.setRemoteDescription(offer);
    const answer = await subscription.pc.createAnswer();
    await subscription.pc.setLocalDescription(answer);
    await subscription.handle.message({ request: "start" }, answer);
  }

  /** Janus hung up or detached a subscription: fine if the feed stopped, a reconnect if it should still be there. */
  private subscriptionGone(feedId: number, subscription: Subscription | null, epoch: number): void {
    if (epoch !== this.epoch || !subscription || this.subscriptions.get(feedId) !== subscription) return;
    this.later(() => {
      if (this.subscriptions.get(feedId) !== subscription) return;
      if (this.isWanted(feedId)) this.fail(epoch, new Error("The media server closed the video."));
      else this.unsubscribe(feedId);
    }, GONE_GRACE_MS);
  }

  // -------------------------------------------------------------------------------------------
  // Sending (publishers)
  // -------------------------------------------------------------------------------------------

  /** "Go live": opens camera and microphone (the device check's choice) and publishes them. */
  async goLive(): Promise<void> {
    if (!this.running || this.state.role === "subscriber" || this.wantLive.has("camera")) return;
    this.dispatch({ type: "device-problem", problem: null });
    this.dispatch({ type: "local", kind: "camera", state: "starting" });
    try {
      const stream = await openCameraAndMicrophone();
      if (!this.running) return stopStream(stream);
      this.cameraStream = stream;
      for (const track of stream.getAudioTracks()) track.enabled = this.state.microphoneOn;
      if (!this.state.cameraOn) this.swapCameraTrack(false);
    } catch (error) {
      this.dispatch({ type: "device-problem", problem: describeDeviceError(error) });
      this.dispatch({ type: "local", kind: "camera", state: "off", stream: null });
      return;
    }
    this.wantLive.add("camera");
    this.dispatch({ type: "local", kind: "camera", state: "starting", stream: this.cameraStream });
    if (this.state.status === "connected") await this.publish("camera", this.epoch);
  }

  /** Shares a screen (or window, or tab) as the second feed. */
  async shareScreen(): Promise<void> {
    if (!this.running || this.state.role === "subscriber" || this.wantLive.has("screen")) return;
    this.dispatch({ type: "device-problem", problem: null });
    this.dispatch({ type: "local", kind: "screen", state: "starting" });
    try {
      const stream = await openScreen();
      if (!this.running) return stopStream(stream);
      this.screenStream = stream;
      // The browser's own "Stop sharing" ends the track.
      stream.getVideoTracks()[0]?.addEventListener("ended", () => this.stopScreen());
    } catch (error) {
      const problem = describeDeviceError(error, "screen");
      this.dispatch({ type: "device-problem", problem: problem.kind === "cancelled" ? null : problem });
      this.dispatch({ type: "local", kind: "screen", state: "off", stream: null });
      return;
    }
    this.wantLive.add("screen");
    this.dispatch({ type: "local", kind: "screen", state: "starting", stream: this.screenStream });
    if (this.state.status === "connected") await this.publish("screen", this.epoch);
  }

  stopScreen(): void {
    this.unpublish("screen");
    stopStream(this.screenStream);
    this.screenStream = null;
    this.dispatch({ type: "local", kind: "screen", state: "off", stream: null });
  }

  /** "Stop broadcast": camera, microphone and screen off, feeds unpublished. */
  stopBroadcast(): void {
    this.stopScreen();
    this.unpublish("camera");
    stopStream(this.cameraStream);
    this.placeholder?.stop();
    this.cameraStream = null;
    this.placeholder = null;
    this.dispatch({ type: "local", kind: "camera", state: "off", stream: null });
  }

  setMicrophone(on: boolean): void {
    for (const track of this.cameraStream?.getAudioTracks() ?? []) track.enabled = on;
    this.dispatch({ type: "microphone", on });
  }

  /** Camera off: the camera is released (its light goes off) and students see a "Camera off" picture. */
  async setCamera(on: boolean): Promise<void> {
    if (on === this.state.cameraOn) return;
    this.dispatch({ type: "camera", on });
    if (!this.cameraStream) return;
    if (!on) return this.swapCameraTrack(false);
    try {
      const track = await openCamera();
      if (!this.cameraStream || !this.state.cameraOn) return track.stop();
      this.swapCameraTrack(true, track);
    } catch (error) {
      this.dispatch({ type: "camera", on: false });
      this.dispatch({ type: "device-problem", problem: describeDeviceError(error) });
    }
  }

  private swapCameraTrack(on: boolean, cameraTrack?: MediaStreamTrack): void {
    const stream = this.cameraStream!;
    const current = stream.getVideoTracks()[0];
    const next = on ? cameraTrack! : (this.placeholder ??= cameraOffTrack());
    if (current === next) return;
    if (current) {
      stream.removeTrack(current);
      if (current !== this.placeholder) current.stop();
    }
    stream.addTrack(next);
    if (on) {
      this.placeholder?.stop();
      this.placeholder = null;
    }
    const sender = this.publications
      .get("camera")
      ?.pc.getSenders()
      .find((candidate) => candidate.track?.kind === "video" || candidate.track === current);
    void sender?.replaceTrack(next).catch(() => undefined);
    // A new MediaStream object: the preview re-renders with the new track.
    this.cameraStream = new MediaStream(stream.getTracks());
    this.dispatch({ type: "local", kind: "camera", state: this.state.local.camera.state, stream: this.cameraStream });
  }

  private unpublish(kind: FeedKind): void {
    this.wantLive.delete(kind);
    const publication = this.publications.get(kind);
    if (publication) this.closePeer(publication);
    this.publications.delete(kind);
  }

  private async publish(kind: FeedKind, epoch: number): Promise<void> {
    const janus = this.janus;
    const access = this.accessAnswer;
    const stream = kind === "camera" ? this.cameraStream : this.screenStream;
    if (!janus || !access?.feeds || !stream || this.publications.has(kind)) return;
    try {
      const handle = await janus.attach({
        onRemoteCandidate: (candidate) => {
          if (candidate) void publication?.pc.addIceCandidate(candidate).catch(() => undefined);
        },
        onGone: () => {
          // Our own feed closed by the server (a restart, a revoked right): reconnect and publish again.
          if (this.publications.get(kind) === publication)
            this.fail(epoch, new Error("The broadcast was interrupted."));
        },
      });
      if (epoch !== this.epoch || !this.wantLive.has(kind)) return handle.detach();
      const peer = this.newPeerConnection(handle, epoch, () => this.dispatch({ type: "local", kind, state: "live" }));
      const publication: Publication = { ...peer, kind };
      this.publications.set(kind, publication);
      for (const track of stream.getTracks()) peer.pc.addTrack(track, stream);
      await handle.message({
        request: "join",
        ptype: "publisher",
        room: access.roomId,
        token: access.token,
        id: access.feeds[kind],
        display: kind,
      });
      if (epoch !== this.epoch || this.publications.get(kind) !== publication) return;
      const offer = await peer.pc.createOffer();
      await peer.pc.setLocalDescription(offer);
      const configured = await handle.message(
        { request: "configure", audio: stream.getAudioTracks().length > 0, video: true },
        offer,
      );
      if (epoch !== this.epoch || this.publications.get(kind) !== publication) return;
      if (!configured.jsep) throw new JanusRequestError("The media server sent no answer.", null);
      await peer.pc.setRemoteDescription(configured.jsep);
    } catch (error) {
      this.fail(epoch, error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Debugging
  // -------------------------------------------------------------------------------------------

  /** Numbers per feed for the development debug panel. */
  async stats(): Promise<FeedStatsRow[]> {
    const rows: FeedStatsRow[] = [];
    const peers: {
      key: string;
      feedId: number;
      kind: FeedKind;
      direction: "send" | "receive";
      pc: RTCPeerConnection;
    }[] = [];
    for (const subscription of this.subscriptions.values()) {
      peers.push({
        key: `r${subscription.feed.id}`,
        feedId: subscription.feed.id,
        kind: subscription.feed.kind,
        direction: "receive",
        pc: subscription.pc,
      });
    }
    for (const publication of this.publications.values()) {
      const feedId = this.accessAnswer?.feeds?.[publication.kind] ?? 0;
      peers.push({ key: `s${feedId}`, feedId, kind: publication.kind, direction: "send", pc: publication.pc });
    }
    for (const peer of peers) {
      const reports: Record<string, unknown>[] = [];
      (await peer.pc.getStats()).forEach((report: Record<string, unknown>) => reports.push(report));
      const { stats, sample } = summarizeStats(
        reports,
        peer.direction,
        peer.pc.iceConnectionState,
        this.samples.get(peer.key) ?? null,
        this.options.now(),
      );
      this.samples.set(peer.key, sample);
      rows.push({ ...stats, feedId: peer.feedId, kind: peer.kind });
    }
    return rows;
  }
}
