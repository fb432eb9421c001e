import { describe, expect, test } from "vitest";
import { ConfigError, loadCoreConfig, loadWebConfig, loadWorkerConfig } from "./config";

describe("config", () => {
  test("defaults work on a developer machine", () => {
    const config = loadWebConfig({ HOST: "127.0.0.1" });
    expect(config.databaseUrl).toBe("postgresql://postgres:postgres@127.0.0.1:5432/livehall");
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

  test("production refuses to run with the development secret", () => {
    expect(() => loadCoreConfig({ NODE_ENV: "production" })).toThrow(/AUTH_SECRET/);
    expect(loadCoreConfig({ NODE_ENV: "production", AUTH_SECRET: "s".repeat(32) }).authSecret).toBe("s".repeat(32));
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
});
