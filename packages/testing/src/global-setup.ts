import { ensureDatabase, migrate } from "@livehall/db/migrate";
import { TEMPLATE_DATABASE_URL } from "./env";

/** Vitest globalSetup: the template database exists and is migrated before any test file clones it. */
export default async function setup(): Promise<void> {
  await ensureDatabase(TEMPLATE_DATABASE_URL);
  await migrate(TEMPLATE_DATABASE_URL);
}
