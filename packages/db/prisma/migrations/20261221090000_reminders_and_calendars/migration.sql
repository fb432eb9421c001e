-- Reminders and calendars (docs/decisions/022). A session's "sequence" is its iCalendar SEQUENCE:
-- it grows when the session moves or is cancelled, so calendars replace the event they already have.
-- "SessionNotice" is the at-most-once ledger of session mails: a row per (session, student, kind) is
-- inserted before the mail is sent, so two workers, a retry or a restart never send it twice.
-- "CalendarFeed" is a user's personal feed; its link is derived from the row's id with a key from
-- AUTH_SECRET, so the database holds nothing that opens a feed, and rotating replaces the id.

-- CreateEnum
CREATE TYPE "SessionNoticeKind" AS ENUM ('REMINDER', 'CANCELLATION');

-- AlterTable
ALTER TABLE "LiveSession" ADD COLUMN "sequence" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "User" ADD COLUMN "sessionReminders" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "SessionNotice" (
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" "SessionNoticeKind" NOT NULL,
    "claimedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),

    CONSTRAINT "SessionNotice_pkey" PRIMARY KEY ("sessionId","userId","kind")
);

-- CreateTable
CREATE TABLE "CalendarFeed" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "userId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CalendarFeed_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SessionNotice_userId_idx" ON "SessionNotice"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "CalendarFeed_userId_key" ON "CalendarFeed"("userId");

-- AddForeignKey
ALTER TABLE "SessionNotice" ADD CONSTRAINT "SessionNotice_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionNotice" ADD CONSTRAINT "SessionNotice_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CalendarFeed" ADD CONSTRAINT "CalendarFeed_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
