-- Removal from a session by its instructor (or an admin): the removed user cannot join it again until
-- readmitted (the row is deleted). A visit ended by a removal is closed with its own reason.

-- AlterEnum
ALTER TYPE "LeaveReason" ADD VALUE 'REMOVED';

-- CreateTable
CREATE TABLE "SessionRemoval" (
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "removedById" UUID,
    "removedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionRemoval_pkey" PRIMARY KEY ("sessionId","userId")
);

-- AddForeignKey
ALTER TABLE "SessionRemoval" ADD CONSTRAINT "SessionRemoval_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LiveSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionRemoval" ADD CONSTRAINT "SessionRemoval_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionRemoval" ADD CONSTRAINT "SessionRemoval_removedById_fkey" FOREIGN KEY ("removedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
