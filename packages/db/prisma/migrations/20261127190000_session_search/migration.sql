-- Session catalog: trigram search and keyset-friendly orderings for session.list.

-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- Upcoming tab: WHERE status = 'SCHEDULED' ORDER BY "startsAt", id — the id makes the key total, so a
-- keyset cursor ("startsAt", id) > (…) is one index range. Replaces the (status, startsAt) prefix.
DROP INDEX "LiveSession_status_startsAt_idx";

-- CreateIndex
CREATE INDEX "LiveSession_status_startsAt_id_idx" ON "LiveSession"("status", "startsAt", "id");

-- CreateIndex (expression + partial: not expressible in schema.prisma) — ended tab order. Status leads,
-- so ENDED and CANCELLED are each one ordered range, merged by the query (neither scans the other).
CREATE INDEX "LiveSession_ended_order_idx" ON "LiveSession"("status", (COALESCE("endedAt", "startsAt")) DESC, "id" DESC)
  WHERE "status" IN ('ENDED', 'CANCELLED');

-- CreateIndex (GIN trigram over pg_trgm, which schema.prisma does not declare: kept in SQL and allowlisted in
-- src/schema-parity.ts) — ILIKE '%term%' search.
CREATE INDEX "LiveSession_title_trgm_idx" ON "LiveSession" USING gin ("title" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Course_title_trgm_idx" ON "Course" USING gin ("title" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "User_name_trgm_idx" ON "User" USING gin ("name" gin_trgm_ops);
