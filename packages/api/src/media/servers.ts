import type { MediaConfig } from "../config";
import { createJanusAdmin, type JanusAdmin } from "./janus";
import { mediaTokenKey, type MediaTokenKey } from "./tokens";

/** The media servers of this deployment (MEDIA_SERVERS), each with its admin client. */
export interface MediaServers {
  readonly ids: string[];
  /** The admin client of a configured server; undefined for an id no longer configured. */
  admin(serverId: string): JanusAdmin | undefined;
  readonly tokenKey: MediaTokenKey;
}

export function createMediaServers(config: MediaConfig, authSecret: string): MediaServers {
  const admins = new Map(config.servers.map((server) => [server.id, createJanusAdmin(server, config)]));
  return {
    ids: [...admins.keys()],
    admin: (serverId) => admins.get(serverId),
    tokenKey: mediaTokenKey(authSecret),
  };
}
