import { DEFAULT_DATABASE_URL } from "../defaults.mjs";
import { createDb } from "../client";
import { connect, readMigrations } from "../migrate";
import { formatSeedResult, seed } from "../seed";
import { redactUrl } from "../url";
import { runCli } from "./run";

/** Seeding needs the schema: say how to get it instead of failing on a missing table. */
async function assertMigrated(url: string): Promise<void> {
  const hint = "run `npm run db:migrate` first";
  let client;
  try {
    client = await connect(url);
  } catch (error) {
    if ((error as { code?: string }).code === "3D000")
      throw new Error(`Database ${redactUrl(url)} does not exist: ${hint}.`);
    throw error;
  }
  try {
    const { rows } = await client
      .query<{ name: string }>(
        `SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      )
      .catch((error: { code?: string }) => {
        if (error.code === "42P01") return { rows: [] };
        throw error;
      });
    const applied = new Set(rows.map((row) => row.name));
    const pending = (await readMigrations()).filter((migration) => !applied.has(migration.name));
    if (pending.length) {
      throw new Error(
        `Database ${redactUrl(url)} has ${pending.length} pending migration(s) (${pending.map((m) => m.name).join(", ")}): ${hint}.`,
      );
    }
  } finally {
    await client.end();
  }
}

runCli(async () => {
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  await assertMigrated(url);
  const db = createDb(url, { maxConnections: 2 });
  try {
    const result = await seed(db);
    console.log(`Seeded ${redactUrl(url)}: ${formatSeedResult(result)}`);
    console.log(
      "Demo logins (password livehall-demo, local use only): admin@livehall.dev, instructor@livehall.dev, student@livehall.dev",
    );
  } finally {
    await db.$disconnect();
  }
});
