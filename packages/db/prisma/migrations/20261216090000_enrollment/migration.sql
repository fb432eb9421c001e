-- Enrollment decides who may be in a course's rooms (docs/decisions/020). A course is OPEN (anyone
-- enrolls with one click, and joining a live session of it enrolls), INVITE (enroll with the course's
-- invite code, which its instructor rotates or turns off: NULL) or CLOSED (the instructor adds people
-- by e-mail). An e-mail with no account yet is a pending invitation, completed when an account with
-- that address signs in. Unenrolling deletes the row; the visit it ends closes with its own reason.
-- Existing courses stay OPEN, so everything that worked before keeps working.

-- CreateEnum
CREATE TYPE "EnrollmentPolicy" AS ENUM ('OPEN', 'INVITE', 'CLOSED');

-- CreateEnum
CREATE TYPE "EnrollmentSource" AS ENUM ('SELF', 'INVITE_CODE', 'ADDED', 'INVITATION', 'JOINED');

-- AlterEnum
ALTER TYPE "LeaveReason" ADD VALUE 'UNENROLLED';

-- AlterTable
ALTER TABLE "Course" ADD COLUMN "enrollmentPolicy" "EnrollmentPolicy" NOT NULL DEFAULT 'OPEN',
ADD COLUMN "inviteCode" TEXT;

-- CreateTable
CREATE TABLE "Enrollment" (
    "courseId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "source" "EnrollmentSource" NOT NULL,
    "enrolledAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Enrollment_pkey" PRIMARY KEY ("courseId","userId")
);

-- CreateTable
CREATE TABLE "CourseInvitation" (
    "courseId" UUID NOT NULL,
    "email" CITEXT NOT NULL,
    "invitedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CourseInvitation_pkey" PRIMARY KEY ("courseId","email")
);

-- CreateIndex
CREATE UNIQUE INDEX "Course_inviteCode_key" ON "Course"("inviteCode");

-- CreateIndex
CREATE INDEX "Enrollment_userId_idx" ON "Enrollment"("userId");

-- CreateIndex
CREATE INDEX "Enrollment_courseId_enrolledAt_idx" ON "Enrollment"("courseId", "enrolledAt");

-- CreateIndex
CREATE INDEX "CourseInvitation_email_idx" ON "CourseInvitation"("email");

-- AddForeignKey
ALTER TABLE "Enrollment" ADD CONSTRAINT "Enrollment_courseId_fkey" FOREIGN KEY ("courseId") REFERENCES "Course"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Enrollment" ADD CONSTRAINT "Enrollment_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CourseInvitation" ADD CONSTRAINT "CourseInvitation_courseId_fkey" FOREIGN KEY ("courseId") REFERENCES "Course"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CourseInvitation" ADD CONSTRAINT "CourseInvitation_invitedById_fkey" FOREIGN KEY ("invitedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
