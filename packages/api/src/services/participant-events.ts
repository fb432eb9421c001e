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
export type LeaveReasonValue = "LEFT" | "TIMEOUT" | "ENDED" | "DUPLICATE" | "REMOVED";

export type ParticipantEvent =
  | {
      type: "snapshot";
      seq: number;
      status: SessionStatusValue;
      participants: ParticipantView[];
      participantCount: number;
    }
  | { type: "joined" | "updated"; seq: number; participant: ParticipantView; participantCount: number }
  | { type: "left"; seq: number; userIds: string[]; reason: LeaveReasonValue; participantCount: number }
  | { type: "status"; seq: number; status: SessionStatusValue; participantCount: number };

export const participantsChannel = (sessionId: string) => `session:${sessionId}:participants`;
