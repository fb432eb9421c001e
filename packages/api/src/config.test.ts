import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { CONFIG_VARIABLES, ConfigError, loadCoreConfig, loadWebConfig, loadWorkerConfig } from "./config";

/** Media credentials of one's own, as production requires. */
const PRODUCTION_MEDIA = {
  MEDIA_ADMIN_SECRET: "a".repeat(24),
  MEDIA_ROOM_ADMIN_KEY: "k".repeat(24),
  // And the mail settings production needs (mail/send.test.ts checks them).
  APP_URL: "https://livehall.example.test",
  DEMO_MODE: "true",
};

describe("config", () => {
  test("defaults work on a developer machine", () => {
    const config = loadWebConfig({});
    expect(config.databaseUrl).toBe("postgresql://postgres:postgres@127.0.0.1:5432/livehall");
    // Development listens on loopback only; production on every interface unless HOST says otherwise.
    expect(config.host).toBe("127.0.0.1");
    expect(loadWebConfig({ NODE_ENV: "production", AUTH_SECRET: "x".repeat(32), ...PRODUCTION_MEDIA }).host).toBe(
      "0.0.0.0",
    );
    expect(loadWebConfig({ HOST: "0.0.0.0", AUTH_SECRET: "y".repeat(32) }).host).toBe("0.0.0.0");
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.port).toBe(3000);
    expect(config.appOrigins).toEqual(["http://localhost:3000", "http://127.0.0.1:3000"]);
    expect(config.timings).toMatchObject({
      accessTokenTtlMs: 900_000,
      refreshGraceMs: 10_000,
      heartbeatIntervalMs: 30_000,
      presenceTimeoutMs: 90_000,
      schedulerEveryMs: { tokensExpire: 600_000, participantsDedupe: 300_000, heartbeatsEvict: 15_000 },
    });
  });

  test("streams, rating and the metrics listener: defaults, and bad values refused", () => {
    const config = loadWebConfig({});
    expect(config.metrics).toEqual({ host: "127.0.0.1", port: 9465 });
    expect(config.maxStreamsPerUser).toBe(20);
    expect(config.timings).toMatchObject({ streamMaxDurationMs: 3_600_000, ratingMinAttendanceMs: 60_000 });
    expect(loadWebConfig({ METRICS_PORT: "0", RATING_MIN_ATTENDANCE_SECONDS: "0" })).toMatchObject({
      metrics: { port: 0 },
      timings: { ratingMinAttendanceMs: 0 },
    });
    for (const [name, value] of [
      ["METRICS_PORT", "70000"],
      ["MAX_STREAMS_PER_USER", "0"],
      ["STREAM_MAX_SECONDS", "0"],
      ["RATING_MIN_ATTENDANCE_SECONDS", "-1"],
    ] as const) {
      expect(() => loadWebConfig({ [name]: value }), name).toThrow(new RegExp(`^Invalid configuration: ${name}`));
    }
  });

  test("every timing can be shortened to (fractions of) seconds for tests", () => {
    const config = loadCoreConfig({
      ACCESS_TOKEN_TTL_SECONDS: "2",
      HEARTBEAT_INTERVAL_SECONDS: "0.5",
      PRESENCE_TIMEOUT_SECONDS: "1.5",
    });
    expect(config.timings.accessTokenTtlMs).toBe(2_000);
    expect(config.timings.heartbeatIntervalMs).toBe(500);
    expect(config.timings.presenceTimeoutMs).toBe(1_500);
  });

  test("invalid values fail with one line naming each variable", () => {
    const attempt = () => loadWorkerConfig({ REDIS_URL: "not a url", HEARTBEAT_INTERVAL_SECONDS: "-1" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/REDIS_URL/);
    expect(attempt).toThrow(/HEARTBEAT_INTERVAL_SECONDS/);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });

  test("room budgets and the tab limit: defaults, overrides, and invalid values refused", () => {
    const defaults = loadCoreConfig({});
    expect(defaults.roomRates).toEqual({
      join: { burst: 200, perSecond: 2 },
      heartbeat: { burst: 10, perSecond: 1 },
      leave: { burst: 60, perSecond: 2 },
      participants: { burst: 20, perSecond: 1 },
      participantCount: { burst: 60, perSecond: 2 },
      stream: { burst: 60, perSecond: 1 },
      media: { burst: 30, perSecond: 0.5 },
      mediaProxy: { burst: 300, perSecond: 30 },
      chat: { burst: 5, perSecond: 0.5 },
      reaction: { burst: 10, perSecond: 2 },
      action: { burst: 30, perSecond: 2 },
      export: { burst: 5, perSecond: 0.1 },
      accountSettings: { burst: 10, perSecond: 0.2 },
    });
    expect(defaults.maxTabsPerSession).toBe(10);
    const tuned = loadCoreConfig({
      ROOM_RATE_LEAVE_BURST: "5",
      ROOM_RATE_LEAVE_PER_SECOND: "0.5",
      MAX_TABS_PER_SESSION: "3",
    });
    expect(tuned.roomRates.leave).toEqual({ burst: 5, perSecond: 0.5 });
    expect(tuned.maxTabsPerSession).toBe(3);
    expect(() => loadCoreConfig({ ROOM_RATE_JOIN_BURST: "0" })).toThrow(/ROOM_RATE_JOIN_BURST/);
    expect(() => loadCoreConfig({ MAX_TABS_PER_SESSION: "1.5" })).toThrow(/MAX_TABS_PER_SESSION/);
  });

  test("production refuses to run with the development secret", () => {
    expect(() => loadCoreConfig({ NODE_ENV: "production" })).toThrow(/AUTH_SECRET/);
    expect(
      loadCoreConfig({ NODE_ENV: "production", AUTH_SECRET: "s".repeat(32), ...PRODUCTION_MEDIA }).authSecret,
    ).toBe("s".repeat(32));
    // Set explicitly, the committed secret is no better than a missing one.
    const committed = loadCoreConfig({ NODE_ENV: "test" }).authSecret;
    expect(() => loadWorkerConfig({ NODE_ENV: "production", AUTH_SECRET: committed })).toThrow(ConfigError);
  });

  test("the development secret is refused on a non-loopback HOST, even in development", () => {
    for (const NODE_ENV of ["development", "test"]) {
      for (const HOST of ["0.0.0.0", "::", "192.168.1.20", "livehall.example"]) {
        const attempt = () => loadWebConfig({ NODE_ENV, HOST });
        expect(attempt).toThrow(ConfigError);
        expect(attempt).toThrow(/AUTH_SECRET.*HOST is/);
      }
      for (const HOST of ["127.0.0.1", "localhost", "::1"]) expect(loadWebConfig({ NODE_ENV, HOST }).host).toBe(HOST);
    }
    // An operator's own secret may listen anywhere.
    expect(loadWebConfig({ NODE_ENV: "development", HOST: "0.0.0.0", AUTH_SECRET: "s".repeat(32) }).host).toBe(
      "0.0.0.0",
    );
  });

  test("sign-in lifetimes are in days, fractions allowed", () => {
    const config = loadCoreConfig({ SIGN_IN_MAX_AGE_DAYS: "0.5", SIGN_IN_IDLE_DAYS: "0.25" });
    expect(config.timings.signInMaxAgeMs).toBe(43_200_000);
    expect(config.timings.signInIdleMs).toBe(21_600_000);
    expect(loadCoreConfig({}).timings).toMatchObject({
      signInMaxAgeMs: 30 * 86_400_000,
      signInIdleMs: 14 * 86_400_000,
    });
    expect(() => loadCoreConfig({ SIGN_IN_IDLE_DAYS: "0" })).toThrow(/SIGN_IN_IDLE_DAYS/);
  });

  test(".env.example and the README document every variable, and the example's values are the defaults", () => {
    const example = readFileSync(new URL("../../../.env.example", import.meta.url), "utf8");
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const name of CONFIG_VARIABLES) {
      expect(example, `.env.example lacks ${name}`).toMatch(new RegExp(`^#? ?${name}=`, "m"));
      expect(readme, `README lacks ${name}`).toContain(`\`${name}\``);
    }
    const assigned = Object.fromEntries(
      example
        .split("\n")
        .filter((line) => /^[A-Z_]+=./.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(loadWorkerConfig(assigned)).toEqual(loadWorkerConfig({}));
    expect(loadWebConfig(assigned)).toEqual(loadWebConfig({}));
  });

  test("media servers: parsed, empty means none, bad entries refused; production needs its own media secrets", () => {
    const two = loadCoreConfig({
      MEDIA_SERVERS:
        "a http://10.0.0.1:8088/janus/ http://10.0.0.1:7088/admin, b https://b.example/janus http://10.0.0.2:7088/admin",
    });
    expect(two.media.servers).toEqual([
      { id: "a", apiUrl: "http://10.0.0.1:8088/janus", adminUrl: "http://10.0.0.1:7088/admin" },
      { id: "b", apiUrl: "https://b.example/janus", adminUrl: "http://10.0.0.2:7088/admin" },
    ]);
    expect(loadCoreConfig({ MEDIA_SERVERS: "" }).media.servers).toEqual([]);
    for (const bad of [
      "local http://x/janus",
      "a/b http://x/janus http://x/admin",
      "a b c",
      "a http://x/j http://x/a,a http://y/j http://y/a",
    ]) {
      expect(() => loadCoreConfig({ MEDIA_SERVERS: bad }), bad).toThrow(/MEDIA_SERVERS/);
    }
    const production = {
      NODE_ENV: "production",
      AUTH_SECRET: "p".repeat(32),
      APP_URL: "https://x.test",
      DEMO_MODE: "1",
    };
    expect(() => loadCoreConfig(production)).toThrow(/MEDIA_ADMIN_SECRET/);
    expect(() => loadCoreConfig({ ...production, MEDIA_ADMIN_SECRET: "a".repeat(24) })).toThrow(/MEDIA_ROOM_ADMIN_KEY/);
    expect(loadCoreConfig({ ...production, ...PRODUCTION_MEDIA }).media.adminSecret).toBe("a".repeat(24));
    // Without a media server there is nothing to guard.
    expect(loadCoreConfig({ ...production, MEDIA_SERVERS: "" }).media.servers).toEqual([]);
    expect(() => loadCoreConfig({ MEDIA_ADMIN_SECRET: "short" })).toThrow(/MEDIA_ADMIN_SECRET/);
  });
});
