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

/** How long the last log lines may take to go out before the process ends anyway. */
const LOG_FLUSH_TIMEOUT_MS = 2_000;

/**
 * Ends the process once the logger's last lines are written, in order. The logger writes
 * asynchronously: exiting at once would write what is buffered before a write still in flight, or
 * lose it.
 */
export function exitAfterLogs(logger: Logger, code: number): void {
  const exit = () => process.exit(code);
  setTimeout(exit, LOG_FLUSH_TIMEOUT_MS);
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as NodeJS.WritableStream;
  stream.once("close", exit);
  stream.end();
}
