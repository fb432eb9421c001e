import { randomBytes } from "node:crypto";
import type { MediaServerConfig } from "../config";

// The one module that speaks Janus (1.1.x): its admin API for tokens, sessions and handles, and the
// VideoRoom plugin through the admin API's `message_plugin`. Nothing else in Livehall knows these
// request names; the rest of the code calls the functions below.

export const VIDEOROOM_PLUGIN = "janus.plugin.videoroom";

/** One admin request's deadline: Janus answers admin requests at once, or it is in trouble. */
const REQUEST_TIMEOUT_MS = 3_000;

/** Janus answered with an error (or not at all): `code` is Janus's own error code when it gave one. */
export class JanusError extends Error {
  override name = "JanusError";
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

/** VideoRoom's "no such room" (426) and "no such feed" (428): the thing is already gone. */
const ALREADY_GONE = new Set([426, 428]);
/** Janus core's "no such session" (458) and "no such handle" (459). */
const NO_SUCH_SESSION_OR_HANDLE = new Set([458, 459]);
const TOKEN_NOT_FOUND = 470;
const ROOM_EXISTS = 427;

export interface RoomOptions {
  room: number;
  secret: string;
  description: string;
  /** Feeds that may publish at once. */
  publishers: number;
  /** Tokens allowed to join (VideoRoom's own ACL). */
  allowed: string[];
}

export interface RoomSummary {
  room: number;
  description: string;
}

export interface RoomParticipant {
  id: number;
  publisher: boolean;
}

/** What the admin API tells about one handle, reduced to what Livehall decides on. */
export interface HandleSummary {
  sessionId: number;
  handleId: number;
  token: string | null;
  plugin: string | null;
  /** VideoRoom's view: a publisher (with its feed id and whether it sends media) or a subscriber. */
  role: "publisher" | "subscriber" | "none";
  room: number | null;
  feedId: number | null;
  publishing: boolean;
}

export interface JanusAdmin {
  readonly server: MediaServerConfig;
  /** Janus's `info` over its public API (no secret): the server answers. */
  info(): Promise<{ version: string }>;
  addToken(token: string): Promise<void>;
  removeToken(token: string): Promise<void>;
  listTokens(): Promise<string[]>;
  listSessions(): Promise<number[]>;
  listHandles(sessionId: number): Promise<number[]>;
  /** Null when the handle (or its session) is already gone. */
  handleInfo(sessionId: number, handleId: number): Promise<HandleSummary | null>;
  /** Idempotent: a handle already gone is fine. */
  detachHandle(sessionId: number, handleId: number): Promise<void>;
  createRoom(options: RoomOptions): Promise<void>;
  /** Idempotent: a room already gone is fine. */
  destroyRoom(room: number, secret: string): Promise<void>;
  listRooms(): Promise<RoomSummary[]>;
  allowTokens(room: number, secret: string, action: "add" | "remove", tokens: string[]): Promise<void>;
  /** Removes a publisher from its room; idempotent. */
  kick(room: number, secret: string, feedId: number): Promise<void>;
  listParticipants(room: number): Promise<RoomParticipant[]>;
}

type Json = Record<string, unknown>;

const transaction = () => randomBytes(9).toString("base64url");

async function post(url: string, body: Json, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Json> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new JanusError(`Janus did not answer at ${url}: ${(error as Error).message}`, null);
  }
  const answer = (await response.json().catch(() => null)) as Json | null;
  if (!answer) throw new JanusError(`Janus answered ${url} with HTTP ${response.status} and no JSON`, null);
  if (answer.janus === "error") {
    const error = answer.error as { code?: number; reason?: string } | undefined;
    throw new JanusError(`Janus: ${error?.reason ?? "error"}`, error?.code ?? null);
  }
  return answer;
}

export function createJanusAdmin(
  server: MediaServerConfig,
  secrets: { adminSecret: string; roomAdminKey: string },
): JanusAdmin {
  const admin = (request: string, extra: Json = {}) =>
    post(server.adminUrl, { janus: request, transaction: transaction(), admin_secret: secrets.adminSecret, ...extra });

  /** A VideoRoom request through the admin API; VideoRoom's own errors become JanusErrors. */
  const videoroom = async (request: Json): Promise<Json> => {
    const answer = await admin("message_plugin", { plugin: VIDEOROOM_PLUGIN, request });
    const response = (answer.response ?? {}) as Json;
    if (response.videoroom === "event" && response.error_code != null) {
      throw new JanusError(`VideoRoom: ${String(response.error)}`, Number(response.error_code));
    }
    return response;
  };

  const ignoring = (codes: Set<number>) => (error: unknown) => {
    if (error instanceof JanusError && error.code != null && codes.has(error.code)) return;
    throw error;
  };

  return {
    server,
    async info() {
      let response: Response;
      try {
        response = await fetch(`${server.apiUrl}/info`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      } catch (error) {
        throw new JanusError(`Janus did not answer at ${server.apiUrl}: ${(error as Error).message}`, null);
      }
      const answer = (await response.json().catch(() => null)) as Json | null;
      if (answer?.janus !== "server_info") throw new JanusError(`${server.apiUrl}/info is not a Janus server`, null);
      return { version: String(answer.version_string ?? "unknown") };
    },
    async addToken(token) {
      await admin("add_token", { token, plugins: [VIDEOROOM_PLUGIN] });
    },
    async removeToken(token) {
      // Removing a token Janus does not know answers an error; the outcome is the same.
      await admin("remove_token", { token }).catch(ignoring(new Set([TOKEN_NOT_FOUND])));
    },
    async listTokens() {
      const answer = await admin("list_tokens");
      const tokens = ((answer.data as Json | undefined)?.tokens ?? []) as { token: string }[];
      return tokens.map((entry) => entry.token);
    },
    async listSessions() {
      return ((await admin("list_sessions")).sessions ?? []) as number[];
    },
    async listHandles(sessionId) {
      try {
        return ((await admin("list_handles", { session_id: sessionId })).handles ?? []) as number[];
      } catch (error) {
        ignoring(NO_SUCH_SESSION_OR_HANDLE)(error);
        return [];
      }
    },
    async handleInfo(sessionId, handleId) {
      let answer: Json;
      try {
        answer = await admin("handle_info", { session_id: sessionId, handle_id: handleId, plugin_only: true });
      } catch (error) {
        ignoring(NO_SUCH_SESSION_OR_HANDLE)(error);
        return null;
      }
      const info = (answer.info ?? {}) as Json;
      const specific = (info.plugin_specific ?? {}) as Json;
      const type = specific.type === "publisher" || specific.type === "subscriber" ? specific.type : "none";
      const streams = Array.isArray(specific.streams) ? specific.streams : [];
      return {
        sessionId,
        handleId,
        token: typeof info.token === "string" ? info.token : null,
        plugin: typeof info.plugin === "string" ? info.plugin : null,
        role: type,
        room: typeof specific.room === "number" ? specific.room : null,
        feedId: type === "publisher" && typeof specific.id === "number" ? specific.id : null,
        publishing: type === "publisher" && streams.length > 0,
      };
    },
    async detachHandle(sessionId, handleId) {
      await admin("detach_handle", { session_id: sessionId, handle_id: handleId }).catch(
        ignoring(NO_SUCH_SESSION_OR_HANDLE),
      );
    },
    async createRoom(options) {
      await videoroom({
        request: "create",
        admin_key: secrets.roomAdminKey,
        room: options.room,
        secret: options.secret,
        description: options.description,
        publishers: options.publishers,
        is_private: true,
        permanent: false,
        allowed: options.allowed,
        // Janus tells publishers about each other, never who is watching.
        notify_joining: false,
      }).catch(ignoring(new Set([ROOM_EXISTS])));
    },
    async destroyRoom(room, secret) {
      await videoroom({ request: "destroy", room, secret, permanent: false }).catch(ignoring(ALREADY_GONE));
    },
    async listRooms() {
      const response = await videoroom({ request: "list", admin_key: secrets.roomAdminKey });
      return ((response.list ?? []) as RoomSummary[]).map(({ room, description }) => ({ room, description }));
    },
    async allowTokens(room, secret, action, tokens) {
      if (tokens.length === 0) return;
      await videoroom({ request: "allowed", room, secret, action, allowed: tokens });
    },
    async kick(room, secret, feedId) {
      await videoroom({ request: "kick", room, secret, id: feedId }).catch(ignoring(ALREADY_GONE));
    },
    async listParticipants(room) {
      const response = await videoroom({ request: "listparticipants", room });
      return ((response.participants ?? []) as RoomParticipant[]).map(({ id, publisher }) => ({ id, publisher }));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Events pushed by Janus's HTTP event handler (sampleevh), reduced to what Livehall acts on.

/** A VideoRoom publisher started, changed or stopped sending, or left. */
/**
 * A publisher starting (with the Janus session and handle that publish) or stopping. A stop caused by
 * the handle going away (detached, its session destroyed or timed out) comes without session and
 * handle: Janus has already forgotten them.
 */
export type PublisherEvent =
  | { kind: "published"; sessionId: number; handleId: number; room: number; feedId: number }
  | { kind: "unpublished"; sessionId: number | null; handleId: number | null; room: number; feedId: number };

const PUBLISHED = new Set(["published"]);
const UNPUBLISHED = new Set(["unpublished", "leaving", "kicked"]);
/** Event type of plugin events in Janus's event handler protocol. */
const PLUGIN_EVENT_TYPE = 64;

/** The publisher events in one POST from the event handler (an object, or an array when grouped). */
export function publisherEvents(body: unknown): PublisherEvent[] {
  const events = Array.isArray(body) ? body : [body];
  const found: PublisherEvent[] = [];
  for (const raw of events) {
    if (!raw || typeof raw !== "object") continue;
    const event = raw as Json;
    if (event.type !== PLUGIN_EVENT_TYPE) continue;
    const inner = (event.event ?? {}) as Json;
    if (inner.plugin !== VIDEOROOM_PLUGIN) continue;
    const data = (inner.data ?? {}) as Json;
    const name = String(data.event ?? "");
    const kind = PUBLISHED.has(name) ? "published" : UNPUBLISHED.has(name) ? "unpublished" : null;
    if (!kind || typeof data.room !== "number" || typeof data.id !== "number") continue;
    const sessionId = typeof event.session_id === "number" ? event.session_id : null;
    const handleId = typeof event.handle_id === "number" ? event.handle_id : null;
    if (kind === "unpublished") found.push({ kind, sessionId, handleId, room: data.room, feedId: data.id });
    // Who publishes must be known: the handle's token decides whether it may.
    else if (sessionId !== null && handleId !== null)
      found.push({ kind, sessionId, handleId, room: data.room, feedId: data.id });
  }
  return found;
}
