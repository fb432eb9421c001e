/** What `session.onParticipants` streams. Type-only, shared with the browser. */
export interface ParticipantView {
  userId: string;
  name: string;
  /** ISO time; events cross Redis as JSON. */
  joinedAt: string;
  connections: number;
  isInstructor: boolean;
}

export type SessionStatusValue = "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";
export type LeaveReasonValue = "LEFT" | "TIMEOUT" | "ENDED" | "DUPLICATE" | "REMOVED" | "UNENROLLED";

/** A feed the room's publisher sends: its camera (with microphone) or a shared screen. */
export interface MediaFeedView {
  id: number;
  kind: "camera" | "screen";
}

/** The session's media as subscribers see it: whether its room can be reached, and what is live. */
export interface MediaStateView {
  available: boolean;
  feeds: MediaFeedView[];
}

export type ParticipantEvent =
  | {
      type: "snapshot";
      seq: number;
      status: SessionStatusValue;
      participants: ParticipantView[];
      participantCount: number;
      media: MediaStateView;
    }
  | { type: "media"; seq: number; media: MediaStateView }
  | { type: "joined" | "updated"; seq: number; participant: ParticipantView; participantCount: number }
  | { type: "left"; seq: number; userIds: string[]; reason: LeaveReasonValue; participantCount: number }
  | { type: "status"; seq: number; status: SessionStatusValue; participantCount: number }
  /**
   * Participants joined past what a large room's list shows (the room stream's count-only update):
   * the count changed, the list did not. Stands for the changes numbered `firstSeq` to `seq`.
   */
  | { type: "count"; firstSeq: number; seq: number; participantCount: number };

export const participantsChannel = (sessionId: string) => `session:${sessionId}:participants`;
