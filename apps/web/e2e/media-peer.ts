import type { Page } from "playwright-core";

// A browser tab's side of a VideoRoom, driven from the media specs: signalling through the app's
// /media/<serverId>/janus proxy with the tab's token from session.media, media with the page's own
// RTCPeerConnection (Chromium's fake camera and microphone). It runs inside the page, so everything
// it uses is defined in the function below (Playwright sends its source, not its closure).

export interface PeerOptions {
  apiUrl: string;
  token: string;
  roomId: number;
  /** publish: send the fake camera + microphone as `feedId`; subscribe: receive `feedId`. */
  role: "publish" | "subscribe";
  /** For publish, the feed id to use (the one session.media issued, or any other to try). */
  feedId?: number;
  /** A name for the peer in the page (stats and stop use it). */
  name: string;
  /** Where a subscriber's own publisher-type join happens (its private_id's room): roomId unless a test says otherwise. */
  anchorRoomId?: number;
}

export interface PeerStats {
  framesDecoded: number;
  audioPacketsReceived: number;
  videoTracks: number;
  connectionState: string;
  /** The feed id Janus gave a publisher (its own, or the one asked for). */
  feedId: number | null;
}

interface PeerWindow {
  __peers?: Record<string, { pc: RTCPeerConnection; feedId: number | null; stop: () => Promise<void> }>;
}

/** Connects one peer in the page; resolves with the feed id Janus uses for it (publishers). Rejects with Janus's error. */
export function connectPeer(page: Page, options: PeerOptions): Promise<number | null> {
  return page.evaluate(async (args) => {
    const peers = ((window as PeerWindow).__peers ??= {});
    const tx = () => Math.random().toString(36).slice(2);
    type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Janus's JSON
    const post = async (path: string, body: Json): Promise<Json> => {
      const response = await fetch(`${args.apiUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, token: args.token }),
      });
      return response.json();
    };
    const created = await post("", { janus: "create", transaction: tx() });
    if (created.janus !== "success") throw new Error(`create: ${JSON.stringify(created.error)}`);
    const session = created.data.id as number;
    const attach = async (): Promise<number> => {
      const attached = await post(`/${session}`, {
        janus: "attach",
        plugin: "janus.plugin.videoroom",
        transaction: tx(),
      });
      if (attached.janus !== "success") throw new Error(`attach: ${JSON.stringify(attached.error)}`);
      return attached.data.id as number;
    };
    const handle = await attach();

    const events: Json[] = [];
    let polling = true;
    void (async () => {
      while (polling) {
        try {
          const response = await fetch(
            `${args.apiUrl}/${session}?maxev=10&token=${encodeURIComponent(args.token)}&rid=${Date.now()}`,
          );
          const answer = await response.json();
          events.push(...[answer].flat());
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    })();
    const eventFor = async (transaction: string): Promise<Json> => {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const found = events.find((event) => event.transaction === transaction && event.janus !== "ack");
        if (found) {
          const data = found.plugindata?.data ?? {};
          if (found.janus === "error" || data.error_code) {
            throw new Error(
              `janus: ${data.error ?? JSON.stringify(found.error)} (${data.error_code ?? found.error?.code})`,
            );
          }
          return found;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no answer to ${transaction}`);
    };
    const send = async (body: Json, jsep?: RTCSessionDescriptionInit, on = handle): Promise<Json> => {
      const transaction = tx();
      const answer = await post(`/${session}/${on}`, { janus: "message", body, jsep, transaction });
      if (answer.janus === "error") throw new Error(`message: ${JSON.stringify(answer.error)}`);
      return eventFor(transaction);
    };

    const pc = new RTCPeerConnection();
    pc.onicecandidate = (event) =>
      void post(`/${session}/${handle}`, {
        janus: "trickle",
        candidate: event.candidate ?? { completed: true },
        transaction: tx(),
      });
    const stop = async () => {
      polling = false;
      for (const sender of pc.getSenders()) sender.track?.stop();
      pc.close();
      await post(`/${session}`, { janus: "destroy", transaction: tx() }).catch(() => undefined);
    };
    let feedId: number | null = null;
    try {
      if (args.role === "publish") {
        const joined = await send({
          request: "join",
          ptype: "publisher",
          room: args.roomId,
          token: args.token,
          ...(args.feedId ? { id: args.feedId } : {}),
        });
        feedId = joined.plugindata.data.id;
        const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        for (const track of media.getTracks()) pc.addTrack(track, media);
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        const configured = await send({ request: "configure", audio: true, video: true }, offer);
        await pc.setRemoteDescription(configured.jsep);
      } else {
        // The room requires a private_id: that of this tab's own (silent) publisher-type join, which
        // only a token allowed in this room can make.
        const anchor = await attach();
        const present = await send(
          { request: "join", ptype: "publisher", room: args.anchorRoomId ?? args.roomId, token: args.token },
          undefined,
          anchor,
        );
        const joined = await send({
          request: "join",
          ptype: "subscriber",
          room: args.roomId,
          token: args.token,
          private_id: present.plugindata.data.private_id,
          streams: [{ feed: args.feedId }],
        });
        await pc.setRemoteDescription(joined.jsep);
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        await send({ request: "start" }, answer);
      }
    } catch (error) {
      await stop();
      throw error;
    }
    peers[args.name] = { pc, feedId, stop };
    return feedId;
  }, options);
}

/** What one peer in the page has received so far (inbound RTP), and its connection state. */
export function peerStats(page: Page, name: string): Promise<PeerStats> {
  return page.evaluate(async (peerName) => {
    const peer = (window as PeerWindow).__peers?.[peerName];
    if (!peer)
      return { framesDecoded: 0, audioPacketsReceived: 0, videoTracks: 0, connectionState: "none", feedId: null };
    let framesDecoded = 0;
    let audioPacketsReceived = 0;
    let videoTracks = 0;
    (await peer.pc.getStats()).forEach((report: Record<string, unknown>) => {
      if (report.type !== "inbound-rtp") return;
      if (report.kind === "video") {
        videoTracks++;
        framesDecoded += Number(report.framesDecoded ?? 0);
      }
      if (report.kind === "audio") audioPacketsReceived += Number(report.packetsReceived ?? 0);
    });
    return {
      framesDecoded,
      audioPacketsReceived,
      videoTracks,
      connectionState: peer.pc.connectionState,
      feedId: peer.feedId,
    };
  }, name);
}

export function stopPeer(page: Page, name: string): Promise<void> {
  return page.evaluate(async (peerName) => {
    const peers = (window as PeerWindow).__peers ?? {};
    await peers[peerName]?.stop();
    delete peers[peerName];
  }, name);
}
