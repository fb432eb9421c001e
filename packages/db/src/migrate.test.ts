import { createHash, randomBytes } from "node:crypto";
import { appendFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { closedPortUrl, runToCompletion } from "@livehall/testing";
import { afterAll, describe, expect, test } from "vitest";
import { DatabaseUnreachableError, MIGRATIONS_DIR, MigrationError, connect, ensureDatabase, migrate } from "./migrate";
import { databaseName, withDatabase } from "./url";

// Each test here works on databases of its own, created empty and dropped at the end; the file's
// cloned database (DATABASE_URL) only provides the server address and a name prefix.
const BASE_URL = process.env.DATABASE_URL!;
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const databases: string[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  const admin = await connect(withDatabase(BASE_URL, "postgres"));
  try {
    for (const url of databases) await admin.query(`DROP DATABASE IF EXISTS "${databaseName(url)}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A URL for a database nobody has used; created empty unless `create` is false. */
async function freshDatabase({ create = true } = {}): Promise<string> {
  const url = withDatabase(BASE_URL, `${databaseName(BASE_URL)}_mig_${randomBytes(4).toString("hex")}`);
  databases.push(url);
  if (create) expect(await ensureDatabase(url)).toBe(true);
  return url;
}

/** A private copy of the real migrations folder that a test may edit. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "lh-migrations-"));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function migrationFolders(dir = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = await connect(url);
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const migrationRows = (url: string) =>
  query<MigrationRow>(url, `SELECT * FROM "_prisma_migrations" ORDER BY migration_name`);

const tableExists = async (url: string, table: string) =>
  (await query<{ found: string | null }>(url, `SELECT to_regclass('public."${table}"')::text AS found`))[0]?.found !=
  null;

test("migrating twice applies each migration exactly once and records it as Prisma does", async () => {
  const url = await freshDatabase();
  const folders = await migrationFolders();
  expect(folders.length).toBeGreaterThan(0);

  const first = await migrate(url);
  expect(first).toEqual({ applied: folders, alreadyApplied: [] });
  const second = await migrate(url);
  expect(second).toEqual({ applied: [], alreadyApplied: folders });

  const rows = await migrationRows(url);
  expect(rows.map((row) => row.migration_name)).toEqual(folders);
  for (const row of rows) {
    const bytes = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
    expect(row.checksum).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(row.id).toMatch(UUID);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.rolled_back_at).toBeNull();
    expect(row.applied_steps_count).toBe(1);
  }
  expect(await tableExists(url, "User")).toBe(true);
});

test("five concurrent runners apply each migration exactly once", async () => {
  const url = await freshDatabase();
  const folders = await migrationFolders();

  const results = await Promise.all(Array.from({ length: 5 }, () => migrate(url)));

  for (const name of folders) {
    expect(results.filter((result) => result.applied.includes(name))).toHaveLength(1);
    expect(results.filter((result) => result.alreadyApplied.includes(name))).toHaveLength(4);
  }
  const rows = await migrationRows(url);
  expect(rows.map((row) => row.migration_name)).toEqual(folders);
});

test("concurrent ensureDatabase calls for a missing database: exactly one creates it, none fails", async () => {
  for (let round = 0; round < 3; round++) {
    const url = await freshDatabase({ create: false });
    const created = await Promise.all(Array.from({ length: 6 }, () => ensureDatabase(url)));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await ensureDatabase(url)).toBe(false);
  }
});

test("a migration edited after it was applied is refused, naming it", async () => {
  const url = await freshDatabase();
  const dir = await copyOfMigrations();
  const [first] = await migrationFolders(dir);
  await migrate(url, { dir });

  await appendFile(path.join(dir, first!, "migration.sql"), "\n-- an afterthought\n");

  const error = await migrate(url, { dir }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as Error).message).toContain(first);
  expect((error as Error).message).toMatch(/edited after it was applied/);
});

test("a failing migration is rolled back: nothing recorded, nothing created; fixing it lets it apply", async () => {
  const url = await freshDatabase();
  const dir = await copyOfMigrations();
  const good = await migrationFolders(dir);
  const broken = "29991231235959_broken";
  await mkdir(path.join(dir, broken));
  await writeFile(
    path.join(dir, broken, "migration.sql"),
    `CREATE TABLE "ShouldNotExist" ("id" INTEGER PRIMARY KEY);\nINSERT INTO "NoSuchTable" VALUES (1);\n`,
  );

  const error = await migrate(url, { dir }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as Error).message).toContain(broken);
  expect((error as Error).message).toMatch(/rolled back/);

  // The migrations before it were applied and recorded; the broken one left no trace.
  expect((await migrationRows(url)).map((row) => row.migration_name)).toEqual(good);
  expect(await tableExists(url, "ShouldNotExist")).toBe(false);

  await writeFile(
    path.join(dir, broken, "migration.sql"),
    `CREATE TABLE "ShouldNotExist" ("id" INTEGER PRIMARY KEY);\n`,
  );
  expect(await migrate(url, { dir })).toEqual({ applied: [broken], alreadyApplied: good });
  expect(await tableExists(url, "ShouldNotExist")).toBe(true);
});

test("an unreachable server is a DatabaseUnreachableError with a one-line message naming the URL, fast", async () => {
  const url = await closedPortUrl("postgresql");
  const started = Date.now();
  const error = await migrate(url).catch((caught: unknown) => caught);
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(error).toBeInstanceOf(DatabaseUnreachableError);
  const message = (error as Error).message;
  expect(message).toContain(url);
  expect(message).not.toContain("\n");
});

describe("the migrate CLI", () => {
  const runCli = (url: string) =>
    runToCompletion(TSX, ["src/cli/migrate.ts"], { cwd: PACKAGE_DIR, env: { ...process.env, DATABASE_URL: url } });

  test("two processes at once against a database that does not exist yet: both succeed, each migration applied once", async () => {
    const url = await freshDatabase({ create: false });
    const folders = await migrationFolders();

    const runs = await Promise.all([runCli(url), runCli(url)]);

    for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
    for (const name of folders) {
      expect(runs.filter((run) => run.stdout.includes(`Applied migration ${name}`))).toHaveLength(1);
    }
    expect(runs.every((run) => run.stdout.includes("is up to date"))).toBe(true);
    expect((await migrationRows(url)).map((row) => row.migration_name)).toEqual(folders);
  }, 60_000);

  test("--fresh rebuilds the database from the migrations: a template that drifted is replaced", async () => {
    const url = await freshDatabase({ create: false });
    expect(await runCli(url)).toMatchObject({ code: 0 });
    const client = await connect(url);
    try {
      // Drift: a recorded migration whose file changed since, as a template left by an older checkout.
      await client.query(`UPDATE _prisma_migrations SET checksum = repeat('0', 64)`);
    } finally {
      await client.end();
    }
    const stale = await runCli(url);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("edited after it was applied");

    const fresh = await runToCompletion(TSX, ["src/cli/migrate.ts", "--fresh"], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, DATABASE_URL: url },
    });
    expect(fresh, fresh.stderr).toMatchObject({ code: 0 });
    expect((await migrationRows(url)).map((row) => row.migration_name)).toEqual(await migrationFolders());
  }, 60_000);

  test("an unreachable server: exit code 1 and one readable line", async () => {
    const url = await closedPortUrl("postgresql");
    const run = await runCli(url);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(url);
  }, 30_000);
});
