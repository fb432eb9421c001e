import type { Services } from "../context";
import { listHandles } from "./media-access";
import { ROOM_DESCRIPTION_PREFIX } from "./media-rooms";

export interface MediaServerStatus {
  id: string;
  /** The Janus API address the server is reached at (never the admin API's). */
  apiUrl: string;
  up: boolean;
  version: string | null;
  /** Livehall's rooms on it, with their sessions: feeds being sent and tabs watching (admin view only). */
  rooms: { roomId: number; sessionId: string; title: string | null; sending: number; watching: number }[];
  /** Janus sessions and handles on the server (every browser tab with media holds one session). */
  janusSessions: number;
  handles: number;
}

/**
 * Each media server's state. `detail: false` only asks whether it answers (readiness probes);
 * `detail: true` also lists its rooms and counts its handles (the admin page).
 */
export async function mediaServersStatus(
  services: Pick<Services, "media" | "db">,
  { detail }: { detail: boolean },
): Promise<MediaServerStatus[]> {
  return Promise.all(
    services.media.ids.map(async (id): Promise<MediaServerStatus> => {
      const admin = services.media.admin(id)!;
      const status: MediaServerStatus = {
        id,
        apiUrl: admin.server.apiUrl,
        up: false,
        version: null,
        rooms: [],
        janusSessions: 0,
        handles: 0,
      };
      try {
        status.version = (await admin.info()).version;
        status.up = true;
        if (!detail) return status;
        const rooms = (await admin.listRooms()).filter((room) => room.description.startsWith(ROOM_DESCRIPTION_PREFIX));
        const handles = await listHandles(admin);
        const sessionIds = rooms.map((room) => room.description.slice(ROOM_DESCRIPTION_PREFIX.length));
        const sessions = await services.db.liveSession.findMany({
          where: { id: { in: sessionIds.filter((id) => /^[0-9a-f-]{36}$/.test(id)) } },
          select: { id: true, title: true },
        });
        const titles = new Map(sessions.map((session) => [session.id, session.title]));
        for (const [index, room] of rooms.entries()) {
          const inRoom = handles.filter((handle) => handle.room === room.room);
          status.rooms.push({
            roomId: room.room,
            sessionId: sessionIds[index]!,
            title: titles.get(sessionIds[index]!) ?? null,
            sending: inRoom.filter((handle) => handle.publishing).length,
            watching: inRoom.filter((handle) => handle.role === "subscriber").length,
          });
        }
        status.janusSessions = new Set(handles.map((handle) => handle.sessionId)).size;
        status.handles = handles.length;
      } catch {
        // A server that stops answering half-way is reported as down.
        status.up = status.up && !detail;
      }
      return status;
    }),
  );
}
