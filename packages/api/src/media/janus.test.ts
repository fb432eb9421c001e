import { describe, expect, test } from "vitest";
import { publisherEvents } from "./janus";

// The events Janus's HTTP event handler posts (sampleevh, grouped): plugin events are type 64.
const pluginEvent = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  emitter: "livehall",
  type: 64,
  timestamp: 1,
  session_id: 11,
  handle_id: 22,
  opaque_id: "x",
  event: { plugin: "janus.plugin.videoroom", data },
  ...extra,
});

describe("publisherEvents", () => {
  test("keeps VideoRoom publishers joining, starting and stopping, nothing else", () => {
    // Janus sends a stop without naming a handle (janus_videoroom.c notifies it with none).
    const handleless = (data: Record<string, unknown>) => {
      const { session_id: _s, handle_id: _h, opaque_id: _o, ...rest } = pluginEvent(data);
      return rest;
    };
    const events = publisherEvents([
      pluginEvent({ event: "published", room: 5, id: 7 }),
      handleless({ event: "unpublished", room: 5, id: 7 }),
      handleless({ event: "leaving", room: 5, id: 8 }),
      handleless({ event: "kicked", room: 5, id: 9 }),
      pluginEvent({ event: "joined", room: 5, id: 7 }),
      handleless({ event: "published", room: 5, id: 7 }),
      pluginEvent({ event: "subscribed", room: 5 }),
      pluginEvent({ event: "published", room: "5", id: 7 }),
      { ...pluginEvent({ event: "published", room: 5, id: 7 }), type: 2 },
      { ...pluginEvent({ event: "published", room: 5, id: 7 }), event: { plugin: "janus.plugin.echotest", data: {} } },
      { type: 64 },
      null,
      "junk",
    ]);
    expect(events).toEqual([
      { kind: "published", sessionId: 11, handleId: 22, room: 5, feedId: 7 },
      { kind: "unpublished", room: 5, feedId: 7 },
      { kind: "unpublished", room: 5, feedId: 8 },
      { kind: "unpublished", room: 5, feedId: 9 },
      { kind: "joined", sessionId: 11, handleId: 22, room: 5, feedId: 7 },
    ]);
    // A handle detached or destroyed: Janus reports its feed stopping without session and handle.
    const { session_id: _session, handle_id: _handle, ...detached } = pluginEvent({ event: "leaving", room: 5, id: 8 });
    const { session_id: _s, handle_id: _h, ...anonymousPublish } = pluginEvent({ event: "published", room: 5, id: 7 });
    expect(publisherEvents([detached, anonymousPublish])).toEqual([{ kind: "unpublished", room: 5, feedId: 8 }]);
    // One event alone (grouping off) is read the same way; nonsense gives nothing.
    expect(publisherEvents(pluginEvent({ event: "published", room: 5, id: 7 }))).toHaveLength(1);
    expect(publisherEvents(undefined)).toEqual([]);
  });
});
