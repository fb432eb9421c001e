import { pino, type Logger } from "pino";
import type { CoreConfig } from "./config";

export type { Logger };

/** Structured logs: JSON in production, readable lines in development; secrets never logged. */
export function createLogger(config: Pick<CoreConfig, "env" | "logLevel">, name: string): Logger {
  return pino({
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
    ...(config.env === "development"
      ? {
          transport: {
            target: "pino-pretty",
            options: { colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" },
          },
        }
      : {}),
  });
}
