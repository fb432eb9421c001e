import { withDatabase } from "@livehall/db";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, TEST_DATABASE_NAME } from "@livehall/db/defaults";

/** The migrated template every test database is cloned from (prepared by `npm test` and globalSetup). */
export const TEMPLATE_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? withDatabase(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, TEST_DATABASE_NAME);

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
