import { TRPCError } from "@trpc/server";

/**
 * Stable, machine-readable reasons carried by every error answer (`error.data.reason`), so clients
 * can tell "sign in again" from "try again later" without parsing messages. One definition here.
 */
export const Reason = {
  INVALID_INPUT: "INVALID_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  ACCESS_TOKEN_EXPIRED: "ACCESS_TOKEN_EXPIRED",
  INVALID_CREDENTIALS: "INVALID_CREDENTIALS",
  REFRESH_TOKEN_INVALID: "REFRESH_TOKEN_INVALID",
  REFRESH_TOKEN_EXPIRED: "REFRESH_TOKEN_EXPIRED",
  REFRESH_TOKEN_REUSED: "REFRESH_TOKEN_REUSED",
  SESSION_REVOKED: "SESSION_REVOKED",
  EMAIL_TAKEN: "EMAIL_TAKEN",
  CSRF_ORIGIN_REJECTED: "CSRF_ORIGIN_REJECTED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  SESSION_NOT_LIVE: "SESSION_NOT_LIVE",
  COURSE_NOT_FOUND: "COURSE_NOT_FOUND",
  SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
  /** A calendar-feed link that is unknown, rotated or turned off (docs/decisions/022). */
  CALENDAR_FEED_NOT_FOUND: "CALENDAR_FEED_NOT_FOUND",
  SLUG_TAKEN: "SLUG_TAKEN",
  SESSION_NOT_STARTABLE: "SESSION_NOT_STARTABLE",
  SESSION_NOT_CANCELLABLE: "SESSION_NOT_CANCELLABLE",
  /** Only a scheduled session can be edited (a live or past one is what happened). */
  SESSION_NOT_EDITABLE: "SESSION_NOT_EDITABLE",
  /** A start well before the planned time needs `early: true`; the answer's `at` is the planned time. */
  STARTS_LATER: "STARTS_LATER",
  SESSION_NOT_RATEABLE: "SESSION_NOT_RATEABLE",
  NOT_AN_ATTENDEE: "NOT_AN_ATTENDEE",
  USER_NOT_FOUND: "USER_NOT_FOUND",
  LAST_ADMIN: "LAST_ADMIN",
  CANNOT_CHANGE_OWN_ACCOUNT: "CANNOT_CHANGE_OWN_ACCOUNT",
  ACCOUNT_DISABLED: "ACCOUNT_DISABLED",
  ALREADY_INSTRUCTOR: "ALREADY_INSTRUCTOR",
  ROLE_REQUEST_PENDING: "ROLE_REQUEST_PENDING",
  ROLE_REQUEST_NOT_FOUND: "ROLE_REQUEST_NOT_FOUND",
  ROLE_REQUEST_DECIDED: "ROLE_REQUEST_DECIDED",
  ROLE_REQUEST_TOO_SOON: "ROLE_REQUEST_TOO_SOON",
  NOT_ENOUGH_ATTENDANCE: "NOT_ENOUGH_ATTENDANCE",
  RATING_NOT_ALLOWED: "RATING_NOT_ALLOWED",
  RATE_LIMITED: "RATE_LIMITED",
  /** A heartbeat's answer, not an error: a newer tab of the same user took this one's place. */
  TOO_MANY_TABS: "TOO_MANY_TABS",
  /** The course's instructor (or an admin) removed this user from the session: joins are refused until they are let back in. */
  REMOVED_BY_HOST: "REMOVED_BY_HOST",
  /** Removing the course's own instructor from their session is never allowed. */
  CANNOT_REMOVE_INSTRUCTOR: "CANNOT_REMOVE_INSTRUCTOR",
  /** Chat, questions, hands and reactions are for people in the room (joined), not onlookers. */
  NOT_IN_ROOM: "NOT_IN_ROOM",
  /** The host muted this participant's chat for the session. */
  CHAT_MUTED: "CHAT_MUTED",
  /** No such (undeleted) message or question in this session. */
  MESSAGE_NOT_FOUND: "MESSAGE_NOT_FOUND",
  /**
   * The room (join, its stream, media, chat, questions, hands) is for students enrolled in the
   * session's course, its instructor and admins (docs/decisions/020).
   */
  NOT_ENROLLED: "NOT_ENROLLED",
  /** An invite code that is wrong, rotated away or turned off, or a course that takes none. */
  INVITE_CODE_INVALID: "INVITE_CODE_INVALID",
  /** The course's policy does not allow this way in (Enroll on an invite-only or closed course). */
  ENROLLMENT_NOT_ALLOWED: "ENROLLMENT_NOT_ALLOWED",
  /** A batched HTTP request with more calls than TRPC_MAX_BATCH. */
  BATCH_TOO_LARGE: "BATCH_TOO_LARGE",
  /** session.media for a tab that is not in the (live) session: join first. */
  NOT_IN_SESSION: "NOT_IN_SESSION",
  /** The session's media server does not answer; the room retries by itself. */
  MEDIA_UNAVAILABLE: "MEDIA_UNAVAILABLE",
  /** A batched HTTP request with an auth.* call: each of those is one attempt, one request. */
  BATCH_NOT_ALLOWED: "BATCH_NOT_ALLOWED",
  /** A mailed link (verification, password reset, invitation) that does not exist, or not for this use. */
  LINK_INVALID: "LINK_INVALID",
  /** A mailed link that was already used: each works once. */
  LINK_USED: "LINK_USED",
  /** A mailed link past its lifetime: ask for a new one. */
  LINK_EXPIRED: "LINK_EXPIRED",
  /** The current password given to change the password or the e-mail address is wrong. */
  WRONG_PASSWORD: "WRONG_PASSWORD",
  /** An invitation mailed to another address than the signed-in account's. */
  INVITATION_FOR_ANOTHER_ADDRESS: "INVITATION_FOR_ANOTHER_ADDRESS",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  NO_WORKER: "NO_WORKER",
  JOB_TIMEOUT: "JOB_TIMEOUT",
  JOB_FAILED: "JOB_FAILED",
  INTERNAL: "INTERNAL",
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];

/** The cause attached to a TRPCError so the error formatter can surface its reason. */
export class ReasonCause extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
    readonly retryAfterMs?: number,
    /** For a failed sign-in: how many more failures pause sign-in, and for how long. */
    readonly attempts?: AttemptsLeft,
    /** The time the answer is about (STARTS_LATER: when the session is planned to start), ISO. */
    readonly at?: string,
  ) {
    super(message);
    this.name = "ReasonCause";
  }
}

export interface AttemptsLeft {
  left: number;
  pauseMs: number;
}

export function appError(
  code: TRPCError["code"],
  reason: Reason,
  message: string,
  options: { retryAfterMs?: number; attempts?: AttemptsLeft; at?: Date } = {},
): TRPCError {
  return new TRPCError({
    code,
    message,
    cause: new ReasonCause(reason, message, options.retryAfterMs, options.attempts, options.at?.toISOString()),
  });
}

const DEFAULT_REASON: Partial<Record<TRPCError["code"], Reason>> = {
  BAD_REQUEST: Reason.INVALID_INPUT,
  PARSE_ERROR: Reason.INVALID_INPUT,
  UNAUTHORIZED: Reason.UNAUTHENTICATED,
  FORBIDDEN: Reason.FORBIDDEN,
  NOT_FOUND: Reason.NOT_FOUND,
  CONFLICT: Reason.CONFLICT,
  TOO_MANY_REQUESTS: Reason.RATE_LIMITED,
  SERVICE_UNAVAILABLE: Reason.SERVICE_UNAVAILABLE,
  TIMEOUT: Reason.JOB_TIMEOUT,
  METHOD_NOT_SUPPORTED: Reason.INVALID_INPUT,
  UNSUPPORTED_MEDIA_TYPE: Reason.INVALID_INPUT,
  PAYLOAD_TOO_LARGE: Reason.INVALID_INPUT,
};

export function reasonOf(error: TRPCError): Reason {
  if (error.cause instanceof ReasonCause) return error.cause.reason;
  return DEFAULT_REASON[error.code] ?? Reason.INTERNAL;
}

export function retryAfterOf(error: TRPCError): number | undefined {
  return error.cause instanceof ReasonCause ? error.cause.retryAfterMs : undefined;
}

export function attemptsLeftOf(error: TRPCError): AttemptsLeft | undefined {
  return error.cause instanceof ReasonCause ? error.cause.attempts : undefined;
}

export function atOf(error: TRPCError): string | undefined {
  return error.cause instanceof ReasonCause ? error.cause.at : undefined;
}

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "57P01", "57P03"]);

/**
 * True for errors that mean Postgres or Redis is unreachable right now (as opposed to a bug), so the
 * answer is SERVICE_UNAVAILABLE with a retry hint rather than a 500.
 */
export function isInfrastructureOutage(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof candidate.code === "string" && UNAVAILABLE_CODES.has(candidate.code)) return true;
    if (candidate.name === "MaxRetriesPerRequestError") return true;
    if (typeof candidate.message === "string") {
      const message = candidate.message;
      if (
        message.includes("Connection is closed") ||
        message.includes("Stream isn't writeable") ||
        message.includes("connect ECONNREFUSED") ||
        message.includes("Connection terminated") ||
        message.includes("timeout exceeded when trying to connect") ||
        message.includes("Can't reach database server")
      ) {
        return true;
      }
    }
    current = candidate.cause;
  }
  return false;
}
