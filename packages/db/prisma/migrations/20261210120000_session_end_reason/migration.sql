-- Why a session ended or was cancelled: by its host (instructor or admin) or by the overrun job
-- (planned end plus grace passed with no instructor in the room). Null while scheduled or live.

-- CreateEnum
CREATE TYPE "SessionEndReason" AS ENUM ('HOST', 'OVERRUN');

-- AlterTable
ALTER TABLE "LiveSession" ADD COLUMN "endedReason" "SessionEndReason";
