// MEDIA_* parsing and which media server npm start runs itself.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventsUrlFor, localJanusOptions, mediaSettings, parseMediaServers } from "./settings.mjs";

describe("parseMediaServers", () => {
  test("reads comma-separated 'id apiUrl adminUrl' entries", () => {
    assert.deepEqual(
      parseMediaServers(
        " a http://127.0.0.1:8088/janus/ http://127.0.0.1:7088/admin , b https://m.example.org/janus https://m.example.org/admin",
      ),
      [
        { id: "a", apiUrl: "http://127.0.0.1:8088/janus", adminUrl: "http://127.0.0.1:7088/admin" },
        { id: "b", apiUrl: "https://m.example.org/janus", adminUrl: "https://m.example.org/admin" },
      ],
    );
  });

  test("refuses malformed entries with a line naming the problem", () => {
    assert.deepEqual(parseMediaServers(""), []);
    assert.deepEqual(parseMediaServers(" , "), []);
    assert.throws(() => parseMediaServers("a http://x/janus"), /three words/);
    assert.throws(() => parseMediaServers("a ftp://x/janus http://x/admin"), /http:\/\//);
    assert.throws(() => parseMediaServers("a nope http://x/admin"), /not a valid URL/);
    assert.throws(() => parseMediaServers("a/b http://x/janus http://x/admin"), /may only contain/);
    assert.throws(() => parseMediaServers("a http://x/j http://x/a, a http://y/j http://y/a"), /twice/);
  });
});

describe("localJanusOptions", () => {
  test("the default runs Janus here, on loopback ports 8088 and 7088", () => {
    const options = localJanusOptions(mediaSettings({}), { eventsUrl: eventsUrlFor(3900) });
    assert.equal(options.apiPort, 8088);
    assert.equal(options.adminPort, 7088);
    assert.equal(options.apiBasePath, "/janus");
    assert.equal(options.adminBasePath, "/admin");
    assert.equal(options.bindAddress, "127.0.0.1");
    assert.equal(options.adminSecret, "livehall-dev-media-admin");
    assert.equal(options.roomAdminKey, "livehall-dev-room-key");
    assert.equal(options.rtpPortRange, "20000-20200");
    assert.equal(options.eventsUrl, "http://127.0.0.1:3900/media/events");
    assert.equal(options.eventsPassword, "livehall-dev-media-admin");
    assert.equal(options.iceInterface, undefined);
    assert.equal(options.iceTcp, false);
    assert.throws(() => mediaSettings({ MEDIA_ICE_TCP: "maybe" }), /MEDIA_ICE_TCP/);
  });

  test("takes ports, paths and settings from the environment", () => {
    const options = localJanusOptions(
      mediaSettings({
        MEDIA_SERVERS:
          "m1 http://localhost:18088/j http://localhost:17088/adm, m2 https://x.example.org/j https://x.example.org/a",
        MEDIA_ADMIN_SECRET: "s3cret",
        MEDIA_ICE_INTERFACE: "va",
        MEDIA_PUBLIC_IP: "203.0.113.1",
        MEDIA_STUN_SERVER: "stun.example.org:3478",
        MEDIA_ICE_TCP: "true",
        MEDIA_RTP_PORT_RANGE: "30000-30100",
      }),
    );
    assert.equal(options.id, "m1");
    assert.equal(options.apiPort, 18088);
    assert.equal(options.adminPort, 17088);
    assert.equal(options.apiBasePath, "/j");
    assert.equal(options.bindAddress, "127.0.0.1");
    assert.equal(options.iceInterface, "va");
    assert.equal(options.publicIp, "203.0.113.1");
    assert.equal(options.stunServer, "stun.example.org:3478");
    assert.equal(options.iceTcp, true);
    assert.equal(options.rtpPortRange, "30000-30100");
    assert.equal(options.eventsUrl, undefined);
  });

  test("a first server elsewhere is not run here", () => {
    const settings = mediaSettings({ MEDIA_SERVERS: "r https://m.example.org/janus https://m.example.org/admin" });
    assert.equal(localJanusOptions(settings), null);
    const mixed = mediaSettings({ MEDIA_SERVERS: "r http://127.0.0.1:8088/janus https://m.example.org/admin" });
    assert.equal(localJanusOptions(mixed), null);
  });

  test("a local server on one port for both APIs is refused", () => {
    const settings = mediaSettings({ MEDIA_SERVERS: "l http://127.0.0.1:8088/janus http://127.0.0.1:8088/admin" });
    assert.throws(() => localJanusOptions(settings), /different ports/);
  });
});
