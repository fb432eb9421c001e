import type { ApiClient } from "@livehall/api/client";
import type { RoomApi, RoomEnvelope } from "./connection";

/**
 * The room's API over the typed tRPC client. `presence` should be a client without link-level
 * retries (the room retries itself and shows it); `other` may retry (leave, status).
 */
export function trpcRoomApi({
  presence,
  other,
  leaveOnExit,
}: {
  presence: ApiClient;
  other: ApiClient;
  leaveOnExit: RoomApi["leaveOnExit"];
}): RoomApi {
  return {
    join: (input, signal) => presence.session.join.mutate(input, { signal }),
    heartbeat: (input, signal) => presence.session.heartbeat.mutate(input, { signal }),
    leave: (input) => other.session.leave.mutate(input),
    leaveOnExit,
    status: async (sessionId) => (await other.session.byId.query({ sessionId })).status,
    subscribe: (sessionId, lastEventId, handlers) => {
      const subscription = presence.session.onRoom.subscribe(
        { sessionId, lastEventId, counts: true },
        {
          onData: (envelope) => handlers.onData(envelope as RoomEnvelope),
          onError: (error) => handlers.onError(error),
          onComplete: () => handlers.onComplete(),
          onConnectionStateChange: (state) => handlers.onStateChange(state.state, state.error),
        },
      );
      return () => subscription.unsubscribe();
    },
  };
}
