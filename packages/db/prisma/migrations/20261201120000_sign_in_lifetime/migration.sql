-- A sign-in's absolute lifetime (SIGN_IN_MAX_AGE_DAYS) runs from its first token, so every token of a
-- family carries that time (the first token itself may be cleaned up long before the family ends).

-- AlterTable
ALTER TABLE "RefreshToken" ADD COLUMN "familyStartedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Existing sign-ins: the oldest token still stored is the best known start.
UPDATE "RefreshToken" AS t
   SET "familyStartedAt" = f.started
  FROM (SELECT "familyId", min("createdAt") AS started FROM "RefreshToken" GROUP BY "familyId") AS f
 WHERE t."familyId" = f."familyId";
