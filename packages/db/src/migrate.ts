import { createHash, randomUUID } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { databaseName, redactUrl, withDatabase } from "./url";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

/** The advisory lock key Prisma Migrate itself uses, so our runner and `prisma migrate deploy` exclude each other. */
export const MIGRATION_LOCK_KEY = 72707369;

/** `_prisma_migrations` exactly as Prisma creates it on Postgres. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export class DatabaseUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message || cause.name : String(cause);
    super(
      `Cannot reach Postgres at ${redactUrl(url)} (${why}). Start it, fix DATABASE_URL, or run \`docker compose up -d\`.`,
    );
    this.name = "DatabaseUnreachableError";
  }
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") };
    }),
  );
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    if (isMissingDatabase(error)) throw error;
    throw new DatabaseUnreachableError(url, error);
  }
  return client;
}

function isMissingDatabase(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "3D000";
}

/** Creates the database named in `url` when it does not exist yet (connecting through `postgres`). */
/** Drops the database if it exists, closing its connections (a test template is rebuilt this way). */
export async function dropDatabase(url: string): Promise<void> {
  const admin = await connect(withDatabase(url, "postgres"));
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName(url).replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  try {
    const client = await connect(url);
    await client.end();
    return false;
  } catch (error) {
    if (!isMissingDatabase(error)) throw error;
  }
  const admin = await connect(withDatabase(url, "postgres"));
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (error) {
    // Another process created it between our check and our CREATE: that is the state we wanted.
    // Postgres says so with 42P04 (duplicate_database) when the other CREATE had committed, and with
    // 23505 on pg_database's name index when both CREATEs ran at once (the loser waits, then fails).
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === "42P04" || (code === "23505" && constraint === "pg_database_datname_index")) return false;
    throw error;
  } finally {
    await admin.end();
  }
}

/**
 * Applies pending migrations in name order, each in its own transaction, recorded in
 * `_prisma_migrations` as Prisma Migrate records them. A session-level advisory lock makes
 * concurrent runners wait for each other, so each migration is applied exactly once.
 */
export async function migrate(url: string, options: { dir?: string } = {}): Promise<MigrateResult> {
  const migrations = await readMigrations(options.dir);
  const client = await connect(url);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const recorded = new Map(rows.map((row) => [row.migration_name, row]));
    const result: MigrateResult = { applied: [], alreadyApplied: [] };

    for (const migration of migrations) {
      const row = recorded.get(migration.name);
      if (row?.finished_at == null && row) {
        throw new MigrationError(
          `Migration ${migration.name} started earlier but never finished; resolve it (\`prisma migrate resolve\`) before migrating.`,
        );
      }
      if (row) {
        if (row.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was edited after it was applied (checksum differs). Add a new migration instead.`,
          );
        }
        result.alreadyApplied.push(migration.name);
        continue;
      }
      await applyOne(client, migration);
      result.applied.push(migration.name);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  await client.query("BEGIN");
  try {
    const id = randomUUID();
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
      id,
    ]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    const why = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${why}`);
  }
}
