-- Each live session has one VideoRoom on one media server (Janus). The room id and secret are
-- chosen by Livehall when the session starts and kept here, never shown to browsers (the secret).
ALTER TABLE "LiveSession"
  ADD COLUMN "mediaServerId" TEXT,
  ADD COLUMN "mediaRoomId" BIGINT,
  ADD COLUMN "mediaRoomSecret" TEXT;

CREATE UNIQUE INDEX "LiveSession_mediaRoomId_key" ON "LiveSession"("mediaRoomId");
