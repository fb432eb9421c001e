import { describe, expect, test } from "vitest";
import { ConfigError, loadCoreConfig, loadWebConfig, loadWorkerConfig } from "./config";

describe("config", () => {
  test("defaults work on a developer machine", () => {
    const config = loadWebConfig({});
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

  test("production refuses to run with the development secret", () => {
    expect(() => loadCoreConfig({ NODE_ENV: "production" })).toThrow(/AUTH_SECRET/);
    expect(loadCoreConfig({ NODE_ENV: "production", AUTH_SECRET: "s".repeat(32) }).authSecret).toBe("s".repeat(32));
  });
});
