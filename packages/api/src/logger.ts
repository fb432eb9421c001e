import { pino, type Logger, type LoggerOptions } from "pino";
import type { CoreConfig } from "./config";

export type { Logger };

/** Structured logs: JSON in production, readable lines in development; secrets never logged. */
export function createLogger(config: Pick<CoreConfig, "env" | "logLevel">, name: string): Logger {
  const options: LoggerOptions = {
    name,
    level: config.env === "test" && config.logLevel === "info" ? "silent" : config.logLevel,
    redact: {
      paths: [
        "password",
        "*.password",
        "refreshToken",
        "*.refreshToken",
        "accessToken",
        "*.accessToken",
        "req.headers.cookie",
        "req.headers.authorization",
      ],
      censor: "[redacted]",
    },
  };
  if (config.env === "development") {
    return pino({
      ...options,
      transport: {
        target: "pino-pretty",
        options: { colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" },
      },
    });
  }
  // Written synchronously: a line logged just before the process exits is out, and in order (an
  // asynchronous stream flushed at exit wrote its buffer before a write still in flight, or lost it).
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
