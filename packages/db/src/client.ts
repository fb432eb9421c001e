import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

export type Db = PrismaClient;

export interface CreateDbOptions {
  /** Upper bound of pooled connections for this process. */
  maxConnections?: number;
  /** How long to wait for a connection before failing, so an outage answers quickly instead of hanging. */
  connectionTimeoutMillis?: number;
}

/** The one way every process (web, worker, tests, scripts) gets a database client. */
export function createDb(url: string, options: CreateDbOptions = {}): Db {
  const adapter = new PrismaPg({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
  });
  return new PrismaClient({ adapter });
}
