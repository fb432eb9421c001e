import { randomBytes } from "node:crypto";

/**
 * What a browser tab does with Janus's public API, for tests: a Janus session opened with a media
 * token, VideoRoom handles, requests and their events. Signalling only (no WebRTC): enough to prove
 * who may enter which room and what the server does to handles it no longer allows.
 */
export interface JanusTab {
  sessionId: number;
  attach(opaqueId?: string): Promise<number>;
  /** A VideoRoom request on a handle; resolves with the plugin's answer (sync) or its first event (async). */
  request(handleId: number, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Whether Janus still knows this session (a keepalive succeeds). */
  alive(): Promise<boolean>;
  destroy(): Promise<void>;
}

type Json = Record<string, unknown>;

const transaction = () => randomBytes(9).toString("base64url");

async function post(url: string, body: Json): Promise<Json> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Json;
}

export class JanusRequestError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

function fail(answer: Json): never {
  const error = (answer.error ?? {}) as { code?: number; reason?: string };
  const pluginData = ((answer.plugindata as Json | undefined)?.data ?? {}) as { error_code?: number; error?: string };
  throw new JanusRequestError(
    error.reason ?? pluginData.error ?? JSON.stringify(answer),
    error.code ?? pluginData.error_code ?? null,
  );
}

/** Opens a Janus session at `apiUrl` (…/janus) with `token`; rejects with JanusRequestError when refused. */
export async function openJanusTab(apiUrl: string, token: string): Promise<JanusTab> {
  const created = await post(apiUrl, { janus: "create", transaction: transaction(), token });
  if (created.janus !== "success") fail(created);
  const sessionId = (created.data as { id: number }).id;
  const base = `${apiUrl}/${sessionId}`;

  /** Polls the session's events until one answers `tx` (VideoRoom's asynchronous requests). */
  const eventFor = async (tx: string, deadline: number): Promise<Json> => {
    while (Date.now() < deadline) {
      const response = await fetch(`${base}?token=${encodeURIComponent(token)}&maxev=10&rid=${Date.now()}`);
      const events = (await response.json()) as Json | Json[];
      for (const event of [events].flat()) {
        if (event.transaction === tx && event.janus !== "ack") return event;
        if (event.janus === "error") fail(event);
      }
    }
    throw new JanusRequestError(`no answer to ${tx}`, null);
  };

  return {
    sessionId,
    async attach(opaqueId) {
      const answer = await post(base, {
        janus: "attach",
        plugin: "janus.plugin.videoroom",
        opaque_id: opaqueId,
        transaction: transaction(),
        token,
      });
      if (answer.janus !== "success") fail(answer);
      return (answer.data as { id: number }).id;
    },
    async request(handleId, body) {
      const tx = transaction();
      const answer = await post(`${base}/${handleId}`, { janus: "message", body, transaction: tx, token });
      if (answer.janus === "error") fail(answer);
      const event = answer.janus === "ack" ? await eventFor(tx, Date.now() + 10_000) : answer;
      const data = ((event.plugindata as Json | undefined)?.data ?? {}) as Json;
      if (data.error_code != null) fail(event);
      return data;
    },
    async alive() {
      const answer = await post(base, { janus: "keepalive", transaction: transaction(), token });
      return answer.janus === "ack";
    },
    async destroy() {
      await post(base, { janus: "destroy", transaction: transaction(), token }).catch(() => undefined);
    },
  };
}
