// The Janus configuration files (pure: the module lists are given).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { findJanusLibDir, janusConfigFiles, libconfigString, listJanusModules } from "./config.mjs";

const MODULES = {
  plugins: ["libjanus_audiobridge.so", "libjanus_echotest.so", "libjanus_streaming.so", "libjanus_videoroom.so"],
  transports: ["libjanus_http.so", "libjanus_pfunix.so", "libjanus_websockets.so"],
  events: ["libjanus_gelfevh.so", "libjanus_sampleevh.so", "libjanus_wsevh.so"],
  loggers: ["libjanus_jsonlog.so"],
};

const BASE = {
  apiPort: 8088,
  adminPort: 7088,
  adminSecret: "admin-secret",
  roomAdminKey: "room-key",
  rtpPortRange: "20000-20200",
  libDir: "/opt/janus/lib/janus",
  modules: MODULES,
};

/** The value of `key` in `group` of a generated file (the generator writes one setting per line). */
function setting(file, group, key) {
  const block = new RegExp(`^${group}: \\{\\n([\\s\\S]*?)\\n\\}`, "m").exec(file)?.[1] ?? "";
  const line = block.split("\n").find((l) => l.trim().startsWith(`${key} = `));
  return line?.trim().slice(key.length + 3);
}

const list = (value) => JSON.parse(value).split(",");

describe("janusConfigFiles", () => {
  test("loads only the VideoRoom plugin and the HTTP transport: every other .so is disabled", () => {
    const files = janusConfigFiles(BASE);
    const main = files["janus.jcfg"];
    assert.deepEqual(list(setting(main, "plugins", "disable")), [
      "libjanus_audiobridge.so",
      "libjanus_echotest.so",
      "libjanus_streaming.so",
    ]);
    assert.deepEqual(list(setting(main, "transports", "disable")), ["libjanus_pfunix.so", "libjanus_websockets.so"]);
    assert.deepEqual(list(setting(main, "loggers", "disable")), ["libjanus_jsonlog.so"]);
    // No events URL: no event handler at all.
    assert.equal(setting(main, "events", "broadcast"), "false");
    assert.deepEqual(list(setting(main, "events", "disable")), MODULES.events);
    assert.equal(files["janus.eventhandler.sampleevh.jcfg"], undefined);
    assert.deepEqual(Object.keys(files).sort(), [
      "janus.jcfg",
      "janus.plugin.videoroom.jcfg",
      "janus.transport.http.jcfg",
    ]);
  });

  test("sets the folders, secrets, token auth, ports and loopback addresses", () => {
    const files = janusConfigFiles(BASE);
    const main = files["janus.jcfg"];
    assert.equal(setting(main, "general", "plugins_folder"), '"/opt/janus/lib/janus/plugins"');
    assert.equal(setting(main, "general", "admin_secret"), '"admin-secret"');
    assert.equal(setting(main, "general", "token_auth"), "true");
    assert.equal(setting(main, "media", "rtp_port_range"), '"20000-20200"');
    const http = files["janus.transport.http.jcfg"];
    assert.equal(setting(http, "general", "port"), "8088");
    assert.equal(setting(http, "general", "ip"), '"127.0.0.1"');
    assert.equal(setting(http, "general", "base_path"), '"/janus"');
    assert.equal(setting(http, "admin", "admin_port"), "7088");
    assert.equal(setting(http, "admin", "admin_ip"), '"127.0.0.1"');
    assert.equal(setting(files["janus.plugin.videoroom.jcfg"], "general", "admin_key"), '"room-key"');
  });

  test("with an events URL, only the sample event handler is loaded and posts there with basic auth", () => {
    const files = janusConfigFiles({
      ...BASE,
      eventsUrl: "http://127.0.0.1:3000/media/events",
      eventsUser: "janus",
      eventsPassword: "admin-secret",
    });
    const main = files["janus.jcfg"];
    assert.equal(setting(main, "events", "broadcast"), "true");
    assert.deepEqual(list(setting(main, "events", "disable")), ["libjanus_gelfevh.so", "libjanus_wsevh.so"]);
    const evh = files["janus.eventhandler.sampleevh.jcfg"];
    assert.equal(setting(evh, "general", "enabled"), "true");
    assert.equal(setting(evh, "general", "backend"), '"http://127.0.0.1:3000/media/events"');
    assert.equal(setting(evh, "general", "backend_user"), '"janus"');
    assert.equal(setting(evh, "general", "backend_pwd"), '"admin-secret"');
    assert.equal(setting(evh, "general", "events"), '"handles,plugins"');
  });

  test("NAT settings appear only when given", () => {
    const plain = janusConfigFiles(BASE)["janus.jcfg"];
    for (const key of ["ice_enforce_list", "nat_1_1_mapping", "stun_server", "stun_port", "ice_lite", "ice_tcp"])
      assert.equal(setting(plain, "nat", key), undefined, key);
    const nat = janusConfigFiles({
      ...BASE,
      iceInterface: "va",
      publicIp: "203.0.113.7",
      stunServer: "stun.example.org:19302",
      iceTcp: true,
    })["janus.jcfg"];
    assert.equal(setting(nat, "nat", "ice_enforce_list"), '"va"');
    assert.equal(setting(nat, "nat", "nat_1_1_mapping"), '"203.0.113.7"');
    assert.equal(setting(nat, "nat", "stun_server"), '"stun.example.org"');
    assert.equal(setting(nat, "nat", "stun_port"), "19302");
    assert.equal(setting(nat, "nat", "ice_lite"), "true");
    assert.equal(setting(nat, "nat", "ice_tcp"), "true");
  });

  test("secrets cannot break out of their string", () => {
    const evil = 'a"b\\c\nadmin_secret = "x"\u0001';
    const files = janusConfigFiles({ ...BASE, adminSecret: evil, roomAdminKey: evil });
    const main = files["janus.jcfg"];
    assert.equal(setting(main, "general", "admin_secret"), '"a\\"b\\\\c\\nadmin_secret = \\"x\\"\\x01"');
    // One setting per line: the secret added no line of its own.
    assert.equal(main.split("\n").filter((line) => line.includes("admin_secret")).length, 1);
    assert.equal(files["janus.plugin.videoroom.jcfg"].split("\n").length, 4);
  });

  test("refuses what Janus would misread", () => {
    assert.throws(() => janusConfigFiles({ ...BASE, apiPort: 0 }), /apiPort/);
    assert.throws(() => janusConfigFiles({ ...BASE, adminPort: 8088 }), /must differ/);
    assert.throws(() => janusConfigFiles({ ...BASE, adminSecret: "" }), /adminSecret/);
    assert.throws(() => janusConfigFiles({ ...BASE, rtpPortRange: "20200-20000" }), /RTP port range/);
    assert.throws(() => janusConfigFiles({ ...BASE, rtpPortRange: "20000" }), /RTP port range/);
    assert.throws(() => janusConfigFiles({ ...BASE, stunServer: "stun.example.org:99999" }), /STUN/);
    assert.throws(
      () => janusConfigFiles({ ...BASE, modules: { ...MODULES, plugins: ["libjanus_echotest.so"] } }),
      /libjanus_videoroom\.so/,
    );
  });
});

describe("libconfigString", () => {
  test("escapes backslashes, quotes and control characters", () => {
    assert.equal(libconfigString("plain"), '"plain"');
    assert.equal(libconfigString('say "hi"'), '"say \\"hi\\""');
    assert.equal(libconfigString("C:\\dir"), '"C:\\\\dir"');
    assert.equal(libconfigString("a\tb\r\n\u001b"), '"a\\tb\\r\\n\\x1b"');
  });
});

describe("the installed Janus", () => {
  const libDir = findJanusLibDir();
  test("is found, and its generated configuration disables every other module it has", (t) => {
    assert.ok(libDir, "Janus is installed on the machines that run these tests (npm start installs it)");
    const modules = listJanusModules(libDir);
    const main = janusConfigFiles({ ...BASE, libDir, modules: undefined, eventsUrl: "http://127.0.0.1:1/e" })[
      "janus.jcfg"
    ];
    const kept = { plugins: "libjanus_videoroom.so", transports: "libjanus_http.so", events: "libjanus_sampleevh.so" };
    for (const folder of ["plugins", "transports", "events", "loggers"]) {
      const disabled = list(setting(main, folder, "disable"));
      assert.deepEqual(
        [...disabled, ...(kept[folder] ? [kept[folder]] : [])].sort(),
        modules[folder],
        `${folder}: every module but the one kept`,
      );
    }
    t.diagnostic(`${libDir}: ${modules.plugins.length} plugins`);
  });
});
