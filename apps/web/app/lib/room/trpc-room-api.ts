import type { ParticipantEvent } from "@livehall/api";
import type { ApiClient } from "@livehall/api/client";
import type { RoomApi } from "./connection";

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
    subscribe: (sessionId, handlers) => {
      const subscription = presence.session.onParticipants.subscribe(
        { sessionId },
        {
          onData: (event) => handlers.onData(event as ParticipantEvent),
          onError: (error) => handlers.onError(error),
          onComplete: () => handlers.onComplete(),
          onConnectionStateChange: (state) => handlers.onStateChange(state.state, state.error),
        },
      );
      return () => subscription.unsubscribe();
    },
  };
}
