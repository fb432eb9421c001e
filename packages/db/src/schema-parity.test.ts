import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connect } from "./migrate";
import { compareSchema, readCatalog, readDatamodel, schemaDifferences } from "./schema-parity";

// DATABASE_URL is this file's own clone of the migrated template (see @livehall/testing).
let client: pg.Client;
beforeAll(async () => {
  client = await connect(process.env.DATABASE_URL!);
});
afterAll(() => client?.end());

const realSchema = readFileSync(fileURLToPath(new URL("../prisma/schema.prisma", import.meta.url)), "utf8");

/**
 * A drift fixture: the real schema with one deliberate change, derived at test time so the fixtures
 * follow every future migration. The line to change must occur exactly once, or the fixture is stale.
 */
function driftedSchema(find: RegExp, replace: string): string {
  const matches = realSchema.match(new RegExp(find.source, "gm")) ?? [];
  if (matches.length !== 1)
    throw new Error(`drift fixture ${find} matches ${matches.length} lines of schema.prisma; update the fixture`);
  return realSchema.replace(new RegExp(find.source, "m"), replace);
}

test("schema.prisma and the migrated database agree", async () => {
  expect(await schemaDifferences(client)).toEqual([]);
});

describe("drift in schema.prisma is reported (drifted copies compared with the same migrated database)", () => {
  const cases: [drift: string, find: RegExp, replace: string, differences: string[]][] = [
    [
      "a changed column type",
      /^(\s+plannedDurationMinutes\s+Int)$/,
      "$1 @db.SmallInt",
      ['column "LiveSession"."plannedDurationMinutes": type is smallint in schema.prisma but integer in the database'],
    ],
    [
      "a lost optional marker",
      /^(\s+comment\s+)String\?$/,
      "$1String",
      ['column "SessionRating"."comment": required (NOT NULL) in schema.prisma but nullable in the database'],
    ],
    [
      "a missing index",
      /^\s+@@index\(\[expiresAt\]\)$/,
      "",
      [
        'index "RefreshToken_expiresAt_idx" on "RefreshToken"(expiresAt) exists in the database but not in schema.prisma',
      ],
    ],
    [
      "an extra field",
      /^(\s+passwordHash\s+String)$/,
      "$1\n  avatarUrl String?",
      ['column "User"."avatarUrl" (field User.avatarUrl) is missing from the database'],
    ],
    [
      "a changed enum value",
      /^(\s+)DUPLICATE$/,
      "$1KICKED",
      [
        'enum "LeaveReason": values are [LEFT, TIMEOUT, ENDED, KICKED, REMOVED, UNENROLLED] in schema.prisma but [LEFT, TIMEOUT, ENDED, DUPLICATE, REMOVED, UNENROLLED] in the database',
      ],
    ],
    [
      "a changed onDelete",
      /^(\s+instructor\s+User\s+@relation\(fields: \[instructorId\], references: \[id\], onDelete: )Restrict\)$/,
      "$1Cascade)",
      [
        'foreign key "Course"(instructorId) → "User"(id) (relation Course.instructor): "Course_instructorId_fkey" ON DELETE RESTRICT (schema.prisma: CASCADE) in the database',
      ],
    ],
    [
      "a changed default",
      /^(\s+role\s+Role\s+)@default\(STUDENT\)$/,
      "$1@default(INSTRUCTOR)",
      [
        `column "User"."role": default 'INSTRUCTOR'::"Role" in schema.prisma but default 'STUDENT'::"Role" in the database`,
      ],
    ],
    [
      "a unique constraint turned into a plain index",
      /^(\s+)@@unique\(\[sessionId, userId\]\)$/,
      "$1@@index([sessionId, userId])",
      [
        'index "SessionRating_sessionId_userId_idx" on "SessionRating"(sessionId, userId) (SessionRating @@index(sessionId, userId)) is missing from the database',
        'unique index "SessionRating_sessionId_userId_key" on "SessionRating"(sessionId, userId) exists in the database but not in schema.prisma',
      ],
    ],
  ];

  test.each(cases)("%s", async (_drift, find, replace, differences) => {
    expect(compareSchema(readDatamodel(driftedSchema(find, replace)), await readCatalog(client))).toEqual(differences);
  });
});

describe("drift in the database is reported", () => {
  const real = readDatamodel(realSchema);

  /** Applies `ddl` inside a transaction, reads the catalog, and rolls everything back. */
  async function differencesAfter(ddl: string): Promise<string[]> {
    await client.query("BEGIN");
    try {
      await client.query(ddl);
      return compareSchema(real, await readCatalog(client));
    } finally {
      await client.query("ROLLBACK");
    }
  }

  test("the partial unique index without its predicate", async () => {
    expect(
      await differencesAfter(`
        DROP INDEX "SessionParticipant_active_key";
        CREATE UNIQUE INDEX "SessionParticipant_active_key" ON "SessionParticipant"("sessionId", "userId");`),
    ).toEqual([
      'unique index "SessionParticipant_active_key" on "SessionParticipant"(sessionId, userId) WHERE ("leftAt" IS NULL) (allowlist (at most one active participant row per (session, user); Prisma cannot express partial indexes)) is not partial in the database',
    ]);
  });

  test("the partial unique index missing", async () => {
    expect(await differencesAfter(`DROP INDEX "SessionParticipant_active_key"`)).toEqual([
      expect.stringMatching(/^unique index "SessionParticipant_active_key" .* is missing from the database$/),
    ]);
  });

  test("a trigram search index rebuilt without its operator class or as a btree", async () => {
    expect(
      await differencesAfter(`
        DROP INDEX "Course_title_trgm_idx";
        CREATE INDEX "Course_title_trgm_idx" ON "Course"("title");`),
    ).toEqual([
      expect.stringMatching(
        /^index "Course_title_trgm_idx" on "Course"\(title gin_trgm_ops\) .* is columns \(title\), using btree in the database$/,
      ),
    ]);
    expect(await differencesAfter(`DROP INDEX "User_name_trgm_idx"`)).toEqual([
      expect.stringMatching(
        /^index "User_name_trgm_idx" on "User"\(name gin_trgm_ops\) .* is missing from the database$/,
      ),
    ]);
  });

  test("the CHECK constraint changed or missing", async () => {
    expect(
      await differencesAfter(`
        ALTER TABLE "SessionRating" DROP CONSTRAINT "SessionRating_stars_check";
        ALTER TABLE "SessionRating" ADD CONSTRAINT "SessionRating_stars_check" CHECK ("stars" BETWEEN 0 AND 5);`),
    ).toEqual([
      'allowlisted constraint "SessionRating_stars_check" on "SessionRating" is CHECK (((stars >= 0) AND (stars <= 5))) in the database, expected CHECK (((stars >= 1) AND (stars <= 5)))',
    ]);
    expect(await differencesAfter(`ALTER TABLE "SessionRating" DROP CONSTRAINT "SessionRating_stars_check"`)).toEqual([
      'allowlisted constraint "SessionRating_stars_check" on "SessionRating" (CHECK (((stars >= 1) AND (stars <= 5)))) is missing from the database',
    ]);
  });

  test("extra objects that are not allowlisted", async () => {
    expect(
      await differencesAfter(`
        CREATE TABLE "Scratch" (id int);
        CREATE TYPE "Mood" AS ENUM ('HAPPY');
        ALTER TABLE "User" ADD COLUMN "nickname" text;
        CREATE INDEX "User_name_idx" ON "User"("name");
        ALTER TABLE "Course" ADD CONSTRAINT "Course_title_check" CHECK (length(title) > 0);
        CREATE FUNCTION scratch_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER "User_noop" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION scratch_noop();`),
    ).toEqual([
      'table "Scratch" exists in the database but no model in schema.prisma maps to it',
      'enum "Mood" exists in the database but not in schema.prisma',
      'column "User"."nickname" (text) exists in the database but not in schema.prisma',
      'index "User_name_idx" on "User"(name) exists in the database but not in schema.prisma',
      'constraint "Course_title_check" on "Course" (CHECK ((length(title) > 0))) exists in the database but is neither in schema.prisma nor allowlisted',
      'trigger "User_noop" on "User" exists in the database but schema.prisma cannot express it and it is not allowlisted',
    ]);
  });

  test("changed types, nullability, defaults, enum order and foreign keys", async () => {
    expect(
      await differencesAfter(`
        ALTER TABLE "LiveSession" ALTER COLUMN "startsAt" TYPE timestamptz(6);
        ALTER TABLE "User" ALTER COLUMN "name" DROP NOT NULL;
        ALTER TABLE "Course" ALTER COLUMN "description" DROP DEFAULT;
        ALTER TYPE "Role" ADD VALUE 'OWNER';
        ALTER TABLE "SessionRating" DROP CONSTRAINT "SessionRating_userId_fkey";
        ALTER TABLE "SessionRating" ADD CONSTRAINT "SessionRating_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
        ALTER TABLE "RefreshToken" DROP CONSTRAINT "RefreshToken_parentId_fkey";`),
    ).toEqual([
      'enum "Role": values are [STUDENT, INSTRUCTOR, ADMIN] in schema.prisma but [STUDENT, INSTRUCTOR, ADMIN, OWNER] in the database',
      'column "User"."name": required (NOT NULL) in schema.prisma but nullable in the database',
      'column "Course"."description": default \'\'::text in schema.prisma but no default in the database',
      'column "LiveSession"."startsAt": type is timestamp(3) with time zone in schema.prisma but timestamp(6) with time zone in the database',
      'foreign key "RefreshToken"(parentId) → "RefreshToken"(id) (relation RefreshToken.parent) is missing from the database',
      'foreign key "SessionRating"(userId) → "User"(id) (relation SessionRating.user): "SessionRating_userId_fkey" ON DELETE SET NULL (schema.prisma: CASCADE) in the database',
    ]);
  });
});

test("an invalid Prisma schema is an error, not an empty list", () => {
  expect(() => readDatamodel("model Broken {")).toThrow(/Invalid Prisma schema/);
});
