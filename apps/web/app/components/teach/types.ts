import type { AppRouter, inferRouterOutputs } from "@livehall/api";

type Outputs = inferRouterOutputs<AppRouter>;
export type ManagedCourse = Outputs["course"]["mine"]["items"][number];
export type TeachSession = Outputs["session"]["list"]["items"][number];
export type SessionStatus = TeachSession["status"];
export type Participant = Outputs["session"]["participants"]["items"][number];
export type Removal = Outputs["session"]["removals"][number];
export type Attendance = Outputs["session"]["attendance"];
export type AttendanceRow = Attendance["items"][number];
export type Ratings = Outputs["session"]["ratings"];
export type CleanupCounts = Outputs["session"]["cleanupParticipants"];

/** What a teach action answers (one shape for every intent, so forms can read their own result). */
export type TeachActionResult =
  | { ok: true; intent: string; message?: string; detail?: string; counts?: CleanupCounts }
  | {
      ok: false;
      intent: string;
      errors: { form?: string; fields?: Partial<Record<string, string>> };
      values?: Record<string, string>;
      /** The API's reason, where the page reacts to it (STARTS_LATER asks to start early). */
      reason?: string;
      /** STARTS_LATER: when the session is planned to start (ISO). */
      at?: string;
    };
