import type { Services, SessionUser } from "../context";
import { endsSignIn, signOutChannel, type SignOutNotice } from "../auth/sign-out-notices";
import { appError } from "../errors";
import { roomCounters } from "../metrics";
import { SSE_PING_INTERVAL_MS, transformer } from "../trpc";
import { admitStream, notEnrolledAnymore, streamLifetimeMs } from "./participants";
import type { ParticipantEvent } from "./participant-events";
import { loadInteraction, loadSharedInteraction, type SharedInteraction } from "./room-interaction";
import { roomChannel, type RoomEvent } from "./room-events";
import type { RoomMessage } from "./room-log";
import {
  compareIds,
  openRoom,
  roomStep,
  type Membership,
  ROOM_SNAPSHOT_CACHE_MS,
  type RoomOpening,
  type RoomStreamRequest,
} from "./room-stream";

/**
 * The raw fan-out of session.onRoom (docs/decisions/023): per web process and session one listener on
 * the room channel; each event is serialized once, in tRPC's SSE wire format, and the same bytes are
 * written to every tab's socket in one synchronous loop — no async generator, web stream or promise
 * per tab and event. What each tab may see (chat only once it is in the room, the end of the stream
 * when it is unenrolled or signed out) is `roomStep`, the rule tRPC's transport (`roomEvents`) applies.
 */

/** How often a share of every room's tabs is pinged (each tab once per SSE_PING_INTERVAL_MS). */
const PING_TICK_MS = 250;

/** In a large room, participant changes reach tabs at most this often (batched in between). */
export const ROOM_PARTICIPANT_BATCH_MS = 250;

/** tRPC's SSE frames (its `sseStreamProducer`), so its `httpSubscriptionLink` reads them unchanged. */
const SSE_CONNECTED = Buffer.from("event: connected\ndata: {}\n\n\n");
const SSE_PING = Buffer.from("event: ping\ndata: \n\n\n");
const SSE_RETURN = Buffer.from("event: return\ndata: \n\n\n");

/** One event as tRPC frames it; without `id` the browser keeps the last one (EventSource's rule). */
export function sseDataFrame(data: unknown, id?: string): string {
  return `data: ${JSON.stringify(transformer.serialize(data))}\n${id === undefined ? "" : `id: ${id}\n`}\n\n`;
}

/** An error ending the stream, as tRPC frames it (`shape`: the router's error shape). */
export function sseErrorFrame(shape: unknown): string {
  return `event: serialized-error\ndata: ${JSON.stringify(transformer.serialize(shape))}\n\n\n`;
}

/** The first bytes of every room stream, before anything is checked (tRPC sends them the same way). */
export const SSE_OPENING = SSE_CONNECTED;

/** The socket side of one stream: a `node:http` ServerResponse whose SSE headers are written. */
export interface RoomSocket {
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): unknown;
  destroy(): unknown;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  once(event: "close" | "drain", listener: () => void): unknown;
}

type RoomServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events" | "media" | "logger">;

/**
 * A large room's participant changes as a tab gets them: joins of students — who come after
 * everyone a list shows (ROOM_LARGE_PARTICIPANTS, in arrival order) — become count-only updates, one
 * per run of them; the viewer's own join stays whole (their tab follows it).
 */
export function countOnly(events: readonly ParticipantEvent[], viewerId?: string): ParticipantEvent[] {
  const out: ParticipantEvent[] = [];
  for (const change of events) {
    if (change.type !== "joined" || change.participant.isInstructor || change.participant.userId === viewerId) {
      out.push(change);
      continue;
    }
    const last = out.at(-1);
    if (last?.type === "count") {
      last.seq = change.seq;
      last.participantCount = change.participantCount;
    } else {
      out.push({ type: "count", firstSeq: change.seq, seq: change.seq, participantCount: change.participantCount });
    }
  }
  return out;
}

/** One event on its way to a session's tabs: serialized once (in a large room, once more per user it names). */
class Fanned {
  /** For participant changes: the users they name, whether one is a status change, the last seq. */
  readonly users: Set<string> | null = null;
  readonly status: boolean = false;
  readonly lastSeq: number = 0;
  /** What tabs taking count-only updates get when the event does not name their user. */
  readonly bytes: Buffer;
  /** Count-only updates replaced students' joins in `bytes`. */
  private readonly counted: boolean = false;
  private wholeBytes: Buffer | undefined;

  constructor(
    readonly id: string | undefined,
    readonly event: RoomEvent,
    large = false,
  ) {
    if (event.type !== "participants") {
      this.bytes = Buffer.from(sseDataFrame(event, id));
      return;
    }
    const users = new Set<string>();
    for (const change of event.events) {
      this.lastSeq = Math.max(this.lastSeq, change.seq);
      if (change.type === "joined" || change.type === "updated") users.add(change.participant.userId);
      else if (change.type === "left") for (const userId of change.userIds) users.add(userId);
      else if (change.type === "status") this.status = true;
    }
    this.users = users;
    this.counted = large && event.events.some((change) => change.type === "joined" && !change.participant.isInstructor);
    this.bytes = Buffer.from(sseDataFrame(this.counted ? { ...event, events: countOnly(event.events) } : event, id));
  }

  /** What one tab gets: count-only updates if it takes them (its user's own changes whole), else all whole. */
  forTab(tab: Tab): Buffer {
    if (!this.counted || this.event.type !== "participants") return this.bytes;
    if (!tab.counts) return (this.wholeBytes ??= Buffer.from(sseDataFrame(this.event, this.id)));
    if (!this.users?.has(tab.user.id)) return this.bytes;
    return Buffer.from(sseDataFrame({ ...this.event, events: countOnly(this.event.events, tab.user.id) }, this.id));
  }
}

/** One open stream: what its socket and its place in the stream need, nothing more. */
class Tab {
  index = -1;
  position = "";
  /** `position` was read from the stored stream, which live events still on their way may be behind. */
  readAhead = true;
  membership: Membership = { joined: false, seq: 0 };
  /** Events held while the tab opens or loads its interaction; delivered in order after. */
  held: Fanned[] | null = [];
  done = false;
  lifetime: NodeJS.Timeout | undefined;
  unlistenSignOut: (() => void) | undefined;
  releaseSlot: (() => void) | undefined;
  room: FanRoom | undefined;

  constructor(
    readonly user: SessionUser,
    readonly sessionId: string,
    readonly socket: RoomSocket,
    /** Takes count-only updates in a large room (what the current bundle asks for). */
    readonly counts: boolean,
  ) {}
}

/** A session's tabs on this process and its one channel listener. */
class FanRoom {
  readonly tabs: Tab[] = [];
  unlisten: (() => void) | undefined;
  ready: Promise<void> | undefined;
  /** Participant changes waiting for the next batch (large rooms), as one event. */
  batch: { id: string; events: ParticipantEvent[]; large: boolean } | null = null;
  batchTimer: NodeJS.Timeout | undefined;
  lastParticipantsAt = 0;
  participantCount = 0;
  /** Counts the chat, question and hand events received: each changes what `interaction` holds. */
  interactionEpoch = 0;
  /** The id of the last stored event received live (the stored stream, read by a tab, can be ahead). */
  lastLiveId = "";
  /** Where the next ping tick starts in `tabs`, and the tabs owed a ping (fractions carry over). */
  pinged = 0;
  pingShare = 0;
  /** The interaction every tab joining now gets (but its votes), read at `epoch`. */
  interaction: { epoch: number; expires: number; shared: Promise<SharedInteraction> } | undefined;

  constructor(readonly sessionId: string) {}
}

export interface RoomFanout {
  /** Takes over a checked session.onRoom request whose SSE headers and opening frame are written. */
  open(request: RoomStreamRequest, socket: RoomSocket): void;
  /** Tabs and sessions served by this process. */
  stats(): { tabs: number; sessions: number };
  /** Ends every stream (their browsers reconnect elsewhere) and stops the pings. */
  close(): void;
}

export interface RoomFanoutOptions {
  services: RoomServices;
  /** The frame of an error ending a stream (the router's error shape); also where it is reported. */
  errorFrame: (error: unknown, socket: RoomSocket) => string;
}

export function createRoomFanout({ services, errorFrame }: RoomFanoutOptions): RoomFanout {
  const rooms = new Map<string, FanRoom>();
  const { maxBufferBytes, largeRoomParticipants, fanoutSlice } = services.config.roomStream;
  /** What is being written to which tabs, in order (`drain`). */
  const outbox: { room: FanRoom; send: (tab: Tab) => void; targets: Tab[] | null; next: number }[] = [];
  let draining = false;

  function write(tab: Tab, bytes: Buffer): void {
    if (tab.done) return;
    tab.socket.write(bytes);
    if (tab.socket.writableLength > maxBufferBytes) {
      // A client that stopped reading: dropped, it reconnects and resumes from its last event id.
      roomCounters.dropped.inc();
      finish(tab);
      tab.socket.destroy();
    }
  }

  /** Releases what the tab holds; idempotent. */
  function finish(tab: Tab): void {
    if (tab.done) return;
    tab.done = true;
    clearTimeout(tab.lifetime);
    tab.unlistenSignOut?.();
    tab.releaseSlot?.();
    const room = tab.room;
    if (room && tab.index >= 0) {
      const last = room.tabs.pop()!;
      if (last !== tab) {
        room.tabs[tab.index] = last;
        last.index = tab.index;
      }
      tab.index = -1;
      if (room.tabs.length === 0) closeRoom(room);
    }
  }

  /** Ends the stream the way tRPC does when its iteration completes: the client resumes from its id. */
  function end(tab: Tab, last: Buffer | string = SSE_RETURN): void {
    if (tab.done) return;
    const { socket } = tab;
    finish(tab);
    if (!socket.destroyed) socket.end(last);
  }

  function fail(tab: Tab, error: unknown): void {
    if (!tab.done) end(tab, errorFrame(error, tab.socket));
  }

  function closeRoom(room: FanRoom): void {
    if (rooms.get(room.sessionId) === room) rooms.delete(room.sessionId);
    clearTimeout(room.batchTimer);
    room.unlisten?.();
    room.unlisten = undefined;
  }

  /** One event to one tab: sent if it may see it, then `interaction` when it just joined. */
  function deliver(tab: Tab, message: Fanned, checkOrder: boolean): void {
    if (tab.held) {
      tab.held.push(message);
      return;
    }
    if (message.id !== undefined) {
      // Read while opening (stored between the subscription and the read), or a batch already covered.
      if ((checkOrder || tab.readAhead) && compareIds(message.id, tab.position) <= 0) return;
      tab.position = message.id;
      // A live event past the position: every later one is too.
      if (!checkOrder) tab.readAhead = false;
    }
    const { membership } = tab;
    if (message.users === null) {
      // Chat, questions, hands, reactions: for tabs in the room only.
      if (membership.joined) write(tab, message.bytes);
      return;
    }
    if (!message.status && !message.users.has(tab.user.id)) {
      // Nobody this tab follows changed: the common case, no allocation.
      if (message.lastSeq > membership.seq) membership.seq = message.lastSeq;
      write(tab, message.forTab(tab));
      return;
    }
    const step = roomStep(membership, message.event, tab.user.id);
    tab.membership = { ...step.membership };
    if (step.send) write(tab, message.forTab(tab));
    if (step.unenrolled) return fail(tab, notEnrolledAnymore());
    if (step.joinedNow) {
      const at = tab.position;
      tab.held = [];
      // Shared only for a join received live: every interaction event before it then moved the epoch.
      const room = tab.room!;
      const live = room.lastLiveId !== "" && compareIds(at, room.lastLiveId) <= 0;
      loadInteraction(services, tab.sessionId, tab.user.id, live ? sharedInteraction(room) : undefined).then(
        (interaction) => {
          write(tab, Buffer.from(sseDataFrame({ type: "interaction", interaction } satisfies RoomEvent, at)));
          release(tab);
        },
        (error: unknown) => fail(tab, error),
      );
    }
  }

  /**
   * Delivers what the tab held, in order, until it holds again (another join) or ends. A long
   * backlog (a resume after minutes away) waits for the socket to drain between events, so it is
   * paced by the client rather than counted against the buffer limit.
   */
  function release(tab: Tab): void {
    const queue = tab.held ?? [];
    tab.held = null;
    for (let i = 0; i < queue.length && !tab.done; i++) {
      deliver(tab, queue[i]!, true);
      if (tab.held) {
        (tab.held as Fanned[]).push(...queue.slice(i + 1));
        return;
      }
      if (tab.socket.writableNeedDrain && i + 1 < queue.length) {
        tab.held = queue.slice(i + 1);
        tab.socket.once("drain", () => release(tab));
        return;
      }
    }
  }

  /**
   * Writes to the tabs of the outbox's sendings in order, at most `fanoutSlice` tabs per turn of the
   * event loop: an event for 10,000 tabs goes out in slices, heartbeats and joins running in between.
   * A sending's tabs are those of its room when its turn comes (a tab added later reads the event
   * from the stored stream), so every tab gets a session's events in stream order.
   */
  function drain(): void {
    draining = true;
    let budget = fanoutSlice;
    for (let sending = outbox[0]; sending; sending = outbox[0]) {
      const targets = (sending.targets ??= [...sending.room.tabs]);
      while (sending.next < targets.length && budget > 0) {
        const tab = targets[sending.next++]!;
        budget--;
        if (tab.done) continue;
        try {
          sending.send(tab);
        } catch (error) {
          // One tab's failure ends that tab, never the outbox every other tab waits on.
          fail(tab, error);
        }
      }
      if (sending.next < targets.length) {
        setImmediate(drain);
        return;
      }
      outbox.shift();
    }
    draining = false;
  }

  /** Writes to `targets`, or to the room's tabs when its turn comes. */
  function send(room: FanRoom, to: (tab: Tab) => void, targets: Tab[] | null = null): void {
    outbox.push({ room, send: to, targets, next: 0 });
    if (!draining) drain();
  }

  function fanOut(room: FanRoom, message: Fanned): void {
    send(room, (tab) => deliver(tab, message, false));
  }

  function flushBatch(room: FanRoom): void {
    clearTimeout(room.batchTimer);
    room.batchTimer = undefined;
    const batch = room.batch;
    if (!batch) return;
    room.batch = null;
    room.lastParticipantsAt = Date.now();
    fanOut(room, new Fanned(batch.id, { type: "participants", events: batch.events }, batch.large));
  }

  function onMessage(room: FanRoom, message: RoomMessage): void {
    const { event } = message;
    if (message.id !== undefined) room.lastLiveId = message.id;
    // Joins count-only from a room already large before them: every join of a batch carries the
    // batch's final count, and the ones that fill the list up to ROOM_LARGE_PARTICIPANTS stay whole.
    const large = isLarge(room);
    if (event.type === "participants") {
      for (const change of event.events)
        if ("participantCount" in change) room.participantCount = change.participantCount;
      if (isLarge(room) && message.id !== undefined) {
        const wait = room.lastParticipantsAt + ROOM_PARTICIPANT_BATCH_MS - Date.now();
        if (room.batch || wait > 0) {
          if (room.batch) {
            room.batch.id = message.id;
            room.batch.events.push(...event.events);
          } else {
            room.batch = { id: message.id, events: [...event.events], large };
            room.batchTimer = setTimeout(() => flushBatch(room), Math.max(wait, 0));
          }
          return;
        }
        room.lastParticipantsAt = Date.now();
      }
    } else {
      if (event.type !== "reactions") room.interactionEpoch++;
      // Stream order is kept: what was batched goes first.
      if (room.batch) flushBatch(room);
    }
    fanOut(room, new Fanned(message.id, event, large));
  }

  function isLarge(room: FanRoom): boolean {
    return room.participantCount >= largeRoomParticipants;
  }

  /**
   * The shared part of `interaction` for a tab that joins now, read once for every tab joining until
   * a chat, question or hand event arrives (or ROOM_SNAPSHOT_CACHE_MS passes): a read started after
   * the last such event holds every one the joining tab was not sent; later ones reach it held.
   */
  function sharedInteraction(room: FanRoom): Promise<SharedInteraction> {
    const now = Date.now();
    const cached = room.interaction;
    if (cached && cached.epoch === room.interactionEpoch && cached.expires > now) return cached.shared;
    const shared = loadSharedInteraction(services, room.sessionId);
    const entry = { epoch: room.interactionEpoch, expires: now + ROOM_SNAPSHOT_CACHE_MS, shared };
    room.interaction = entry;
    // A failed read is not shared past its own callers.
    shared.catch(() => room.interaction === entry && (room.interaction = undefined));
    return shared;
  }

  /** The session's room on this process, its channel subscribed (confirmed by Redis) before it resolves. */
  async function roomFor(sessionId: string): Promise<FanRoom> {
    let room = rooms.get(sessionId);
    if (!room) {
      const created = new FanRoom(sessionId);
      room = created;
      rooms.set(sessionId, created);
      created.ready = services.events
        .listen<RoomMessage>(
          roomChannel(sessionId),
          (message) => onMessage(created, message),
          () => {
            // Events were lost with the connection: every tab resumes from its last id.
            closeRoom(created);
            for (const tab of [...created.tabs]) end(tab);
          },
        )
        .then(
          (unlisten) => {
            if (rooms.get(sessionId) === created) created.unlisten = unlisten;
            else unlisten();
          },
          (error: unknown) => {
            if (rooms.get(sessionId) === created) rooms.delete(sessionId);
            throw error;
          },
        );
    }
    await room.ready;
    return room;
  }

  async function start(tab: Tab, lastEventId: string | null | undefined): Promise<void> {
    const { user, sessionId } = tab;
    const releaseSlot = await admitStream(services, user, sessionId);
    if (tab.done) return releaseSlot();
    tab.releaseSlot = releaseSlot;
    tab.lifetime = setTimeout(() => end(tab), streamLifetimeMs(services));
    const unlistenSignOut = await services.events.listen<SignOutNotice>(
      signOutChannel(user.id),
      (notice) => {
        if (endsSignIn(notice, user.familyId)) {
          fail(tab, appError("UNAUTHORIZED", notice.reason, "You have been signed out. Sign in again."));
        }
      },
      // A notice may have been missed: the stream ends and is reopened, which checks the sign-in again.
      () => end(tab),
    );
    if (tab.done) return unlistenSignOut();
    tab.unlistenSignOut = unlistenSignOut;
    // Subscribed before the stream is read: every event after what is read arrives held.
    const room = await roomFor(sessionId);
    if (tab.done) return;
    tab.room = room;
    tab.index = room.tabs.push(tab) - 1;
    const opening = await openRoom(services, user, sessionId, lastEventId);
    if (tab.done) return;
    tab.position = opening.position;
    tab.membership = { ...opening.membership };
    const { first } = opening;
    if (first.type === "snapshot") room.participantCount ||= first.participants.participantCount;
    write(tab, openingBytes(first, opening.position));
    const live = tab.held ?? [];
    const large = isLarge(room);
    tab.held = [...opening.backlog.map(([id, event]) => new Fanned(id, event, large)), ...live];
    release(tab);
  }

  /** A snapshot for a tab not in the room is the same for all of them: serialized once per snapshot. */
  const outsiderSnapshots = new WeakMap<object, Buffer>();
  function openingBytes(first: RoomOpening["first"], position: string): Buffer {
    if (first.type !== "snapshot" || first.joined) return Buffer.from(sseDataFrame(first, position));
    let bytes = outsiderSnapshots.get(first.participants);
    if (!bytes) outsiderSnapshots.set(first.participants, (bytes = Buffer.from(sseDataFrame(first, position))));
    return bytes;
  }

  // Each tab is pinged once per SSE_PING_INTERVAL_MS, a share of them every tick: 19,000 pings at once
  // would hold heartbeats back for a second; spread, they are a few dozen writes per tick.
  const ticks = Math.ceil(SSE_PING_INTERVAL_MS / PING_TICK_MS);
  const pings = setInterval(() => {
    for (const room of rooms.values()) {
      room.pingShare += room.tabs.length / ticks;
      const share = Math.floor(room.pingShare);
      if (share === 0) continue;
      room.pingShare -= share;
      const from = room.pinged % Math.max(room.tabs.length, 1);
      room.pinged = from + share;
      send(room, (tab) => write(tab, SSE_PING), room.tabs.slice(from, from + share));
    }
  }, PING_TICK_MS);
  pings.unref();

  return {
    open(request, socket) {
      const tab = new Tab(request.user, request.sessionId, socket, request.counts);
      socket.once("close", () => finish(tab));
      start(tab, request.lastEventId).catch((error: unknown) => fail(tab, error));
    },
    stats() {
      let tabs = 0;
      for (const room of rooms.values()) tabs += room.tabs.length;
      return { tabs, sessions: rooms.size };
    },
    close() {
      clearInterval(pings);
      outbox.length = 0;
      for (const room of [...rooms.values()]) {
        for (const tab of [...room.tabs]) end(tab);
        closeRoom(room);
      }
    },
  };
}
