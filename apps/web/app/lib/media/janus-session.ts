/**
 * A small client of Janus's HTTP API (docs/decisions/019): one Janus session per room tab, reached
 * through the web server's /media/<serverId>/janus proxy (so the page's CSP keeps connect-src 'self'),
 * one long poll for its events, and VideoRoom handles on it. Every request carries the tab's token from
 * session.media. It speaks only what the room needs: create, attach, message (with JSEP), trickle,
 * detach, destroy. Browser only: nothing here runs during server rendering.
 */

// Janus's messages are loosely typed JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export class JanusRequestError extends Error {
  constructor(
    message: string,
    /** Janus's (or VideoRoom's) error code, e.g. 458 no such session, 428 no such feed. */
    readonly code: number | null,
  ) {
    super(message);
    this.name = "JanusRequestError";
  }
}

/** How long a request's answer (through the long poll) may take. */
const ANSWER_TIMEOUT_MS = 15_000;
/** Consecutive failed long polls after which the session counts as lost. */
const POLL_FAILURES_LOST = 3;
const POLL_RETRY_MS = 500;

export interface HandleEvents {
  /** A VideoRoom event without a transaction of ours (e.g. "updated", "unpublished"), with its JSEP. */
  onPluginEvent?(data: Json, jsep: RTCSessionDescriptionInit | undefined): void;
  /** A candidate Janus trickles to us. */
  onRemoteCandidate?(candidate: RTCIceCandidateInit | null): void;
  /** Janus's PeerConnection is up (DTLS done). */
  onWebrtcUp?(): void;
  /** Janus hung up the PeerConnection, or detached the handle (not at our request). */
  onGone?(why: "hangup" | "detached"): void;
}

interface Waiter {
  resolve(event: Json): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

let counter = 0;
const transaction = () =>
  `lh${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

function errorOf(answer: Json): JanusRequestError {
  const data = answer.plugindata?.data ?? {};
  if (data.error_code) return new JanusRequestError(String(data.error ?? "VideoRoom error"), Number(data.error_code));
  const error = answer.error ?? {};
  return new JanusRequestError(
    String(error.reason ?? answer.message ?? "The media server refused the request."),
    typeof error.code === "number" ? error.code : null,
  );
}

export class JanusSession {
  private polling = true;
  private readonly waiters = new Map<string, Waiter>();
  private readonly handles = new Map<number, JanusHandle>();
  private lostListener: ((error: Error) => void) | null = null;
  private pollController = new AbortController();
  /** Whether Janus answered this session's destroy (null until it was sent). */
  private destroyed: Promise<boolean> = Promise.resolve(true);

  private constructor(
    readonly apiUrl: string,
    private readonly token: string,
    readonly id: number,
    private readonly fetcher: typeof fetch,
  ) {}

  /** Opens a Janus session with the tab's token and starts its long poll. */
  static async create(apiUrl: string, token: string, fetcher: typeof fetch = fetch.bind(globalThis)) {
    const answer = await postJson(fetcher, apiUrl, { janus: "create", transaction: transaction(), token });
    if (answer.janus !== "success") throw errorOf(answer);
    const session = new JanusSession(apiUrl, token, Number(answer.data.id), fetcher);
    void session.poll();
    return session;
  }

  /** Called once when the session is lost (Janus forgot it, or its long poll keeps failing). */
  onLost(listener: (error: Error) => void): void {
    this.lostListener = listener;
  }

  get open(): boolean {
    return this.polling;
  }

  async attach(events: HandleEvents = {}): Promise<JanusHandle> {
    const answer = await this.post(`/${this.id}`, { janus: "attach", plugin: "janus.plugin.videoroom" });
    if (answer.janus !== "success") throw errorOf(answer);
    const handle = new JanusHandle(this, Number(answer.data.id), events);
    this.handles.set(handle.id, handle);
    return handle;
  }

  /**
   * Ends the session: Janus detaches its handles. `onExit` (pagehide) sends it with keepalive so it
   * outlives the page.
   */
  destroy({ onExit = false } = {}): void {
    if (!this.polling) return;
    this.stop();
    this.destroyed = this.post(`/${this.id}`, { janus: "destroy" }, onExit).then(
      () => true,
      () => false,
    );
  }

  /**
   * Makes sure Janus forgot this session: its destroy again when the first one got no answer (the
   * network was down). Until Janus forgets it, its publishers hold their feed ids, and publishing
   * under them again would be refused.
   */
  async forgotten(timeoutMs = 3_000): Promise<void> {
    const late = () => new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs));
    if (await Promise.race([this.destroyed, late()])) return;
    await Promise.race([this.post(`/${this.id}`, { janus: "destroy" }).catch(() => undefined), late()]);
  }

  private stop(): void {
    this.polling = false;
    this.pollController.abort();
    for (const waiter of this.waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new JanusRequestError("The media connection was closed.", null));
    }
    this.waiters.clear();
    this.handles.clear();
  }

  /** @internal */
  forget(handleId: number): void {
    this.handles.delete(handleId);
  }

  /** @internal POSTs a request; the answer of an asynchronous one arrives through the long poll. */
  post(path: string, body: Json, keepalive = false): Promise<Json> {
    return postJson(
      this.fetcher,
      `${this.apiUrl}${path}`,
      { transaction: transaction(), ...body, token: this.token },
      keepalive,
    );
  }

  /** @internal Sends a request and waits for its final answer (an event with its transaction). */
  async request(path: string, body: Json): Promise<Json> {
    if (!this.polling) throw new JanusRequestError("The media connection was closed.", null);
    const tx = transaction();
    const answered = new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(tx);
        reject(new JanusRequestError("The media server did not answer in time.", null));
      }, ANSWER_TIMEOUT_MS);
      this.waiters.set(tx, { resolve, reject, timer });
    });
    // Settled without anyone waiting when Janus answers at once: not an unhandled rejection.
    answered.catch(() => undefined);
    let answer: Json;
    try {
      answer = await this.post(path, { ...body, transaction: tx });
    } catch (error) {
      this.settle(tx, null);
      throw error;
    }
    if (answer.janus === "ack") return answered.then(checked);
    this.settle(tx, null);
    return checked(answer);
  }

  private settle(tx: string, event: Json | null): boolean {
    const waiter = this.waiters.get(tx);
    if (!waiter) return false;
    this.waiters.delete(tx);
    clearTimeout(waiter.timer);
    if (event) waiter.resolve(event);
    return true;
  }

  private async poll(): Promise<void> {
    let failures = 0;
    while (this.polling) {
      try {
        const url = `${this.apiUrl}/${this.id}?maxev=10&rid=${Date.now()}&token=${encodeURIComponent(this.token)}`;
        const response = await this.fetcher(url, { signal: this.pollController.signal, cache: "no-store" });
        const answer: unknown = await response.json();
        if (!this.polling) return;
        const events = [answer].flat() as Json[];
        const gone = events.find((event) => event.janus === "error" && event.error?.code === 458);
        if (gone) return this.lose(errorOf(gone));
        if (!response.ok) throw errorOf(events[0] ?? {});
        failures = 0;
        for (const event of events) this.dispatch(event);
      } catch (error) {
        if (!this.polling) return;
        if (++failures >= POLL_FAILURES_LOST) {
          // Janus may still hold the session: it has to be destroyed once it can be reached again.
          this.destroyed = Promise.resolve(false);
          return this.lose(error instanceof Error ? error : new Error(String(error)));
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_RETRY_MS));
      }
    }
  }

  private lose(error: Error): void {
    if (!this.polling) return;
    this.stop();
    this.lostListener?.(error);
  }

  private dispatch(event: Json): void {
    if (event.transaction && event.janus !== "ack" && this.settle(event.transaction, event)) return;
    const handle = typeof event.sender === "number" ? this.handles.get(event.sender) : undefined;
    handle?.receive(event);
  }
}

function checked(answer: Json): Json {
  if (answer.janus === "error" || answer.plugindata?.data?.error_code) throw errorOf(answer);
  return answer;
}

async function postJson(fetcher: typeof fetch, url: string, body: Json, keepalive = false): Promise<Json> {
  const response = await fetcher(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    keepalive,
  });
  const answer = (await response.json().catch(() => ({}))) as Json;
  if (!response.ok && !answer.janus) {
    throw new JanusRequestError(String(answer.message ?? "The media server is not reachable."), response.status);
  }
  return answer;
}

/** One VideoRoom handle: a publisher of one feed, or a subscriber to one feed. */
export class JanusHandle {
  private detached = false;

  constructor(
    private readonly session: JanusSession,
    readonly id: number,
    private readonly events: HandleEvents,
  ) {}

  /** A VideoRoom request; resolves with its plugin data and JSEP, rejects with VideoRoom's error. */
  async message(
    body: Json,
    jsep?: RTCSessionDescriptionInit,
  ): Promise<{ data: Json; jsep?: RTCSessionDescriptionInit }> {
    const answer = await this.session.request(`/${this.session.id}/${this.id}`, {
      janus: "message",
      body,
      ...(jsep ? { jsep: { type: jsep.type, sdp: jsep.sdp } } : {}),
    });
    return { data: answer.plugindata?.data ?? {}, jsep: answer.jsep };
  }

  /** Trickles one local candidate (null: gathering is complete). */
  trickle(candidate: RTCIceCandidate | null): void {
    if (this.detached || !this.session.open) return;
    void this.session
      .post(`/${this.session.id}/${this.id}`, {
        janus: "trickle",
        candidate: candidate ? candidate.toJSON() : { completed: true },
      })
      .catch(() => undefined);
  }

  /** Detaches the handle (Janus closes its PeerConnection). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.session.forget(this.id);
    if (this.session.open)
      void this.session.post(`/${this.session.id}/${this.id}`, { janus: "detach" }).catch(() => undefined);
  }

  /** @internal An event the long poll delivered for this handle. */
  receive(event: Json): void {
    if (this.detached) return;
    switch (event.janus) {
      case "event":
        this.events.onPluginEvent?.(event.plugindata?.data ?? {}, event.jsep);
        break;
      case "trickle": {
        const candidate = event.candidate as Json | undefined;
        this.events.onRemoteCandidate?.(!candidate || candidate.completed ? null : (candidate as RTCIceCandidateInit));
        break;
      }
      case "webrtcup":
        this.events.onWebrtcUp?.();
        break;
      case "hangup":
        this.events.onGone?.("hangup");
        break;
      case "detached":
        this.detached = true;
        this.session.forget(this.id);
        this.events.onGone?.("detached");
        break;
    }
  }
}
