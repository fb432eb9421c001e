import { TRPCError } from "@trpc/server";

/** What a form shows: one message for the whole form and/or one per field. */
export interface FormErrors {
  form?: string;
  fields?: Partial<Record<string, string>>;
  /** The API's reason, when the answer came with one (so pages react to it, not to its wording). */
  reason?: string;
}

interface ReasonCauseLike {
  reason?: string;
  retryAfterMs?: number;
  attempts?: { left: number; pauseMs: number };
}

/** A failed sign-in warns when this few attempts are left before sign-in pauses. */
const WARN_AT_ATTEMPTS_LEFT = 3;

/** "2 attempts left before sign-in is paused for 15 minutes." — said before the pause, not after. */
function attemptsWarning(attempts: ReasonCauseLike["attempts"]): string {
  if (!attempts || attempts.left > WARN_AT_ATTEMPTS_LEFT) return "";
  const pause = waitText(attempts.pauseMs);
  if (attempts.left === 0) return ` Sign-in is now paused for ${pause}.`;
  return ` ${attempts.left} attempt${attempts.left === 1 ? "" : "s"} left before sign-in is paused for ${pause}.`;
}
interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
}

/** The API's machine-readable reason of a caller error (`error.data.reason` over HTTP). */
export function reasonOf(error: TRPCError): string | undefined {
  return (error.cause as ReasonCauseLike | undefined)?.reason;
}

function zodIssues(error: TRPCError): ZodIssueLike[] | null {
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as ZodIssueLike[]) : null;
}

/** "42 seconds", "3 minutes" — for "try again in …". */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/**
 * Turns an error of an in-process procedure call (`context.caller…`) into form errors: the input
 * validation issues per field, and the API's reasons as sentences. Anything that is not an answer
 * the user can act on (a bug, a 500) is rethrown for the error boundary.
 */
export function formErrorsFrom(error: unknown): { errors: FormErrors; status: number } {
  if (!(error instanceof TRPCError)) throw error;
  const issues = zodIssues(error);
  if (error.code === "BAD_REQUEST" && issues) {
    const fields: Record<string, string> = {};
    for (const issue of issues) {
      const field = String(issue.path[0] ?? "form");
      fields[field] ??= issue.message;
    }
    const { form, ...rest } = fields;
    return { errors: { form, fields: rest }, status: 400 };
  }
  const cause = error.cause as ReasonCauseLike | undefined;
  switch (reasonOf(error)) {
    case "INVALID_CREDENTIALS":
      return {
        errors: {
          form: `That email and password don't match an account. Check them and try again.${attemptsWarning(cause?.attempts)}`,
        },
        status: 401,
      };
    case "EMAIL_TAKEN":
      return {
        errors: {
          fields: { email: "An account with this email already exists. Sign in instead." },
          reason: "EMAIL_TAKEN",
        },
        status: 409,
      };
    case "RATE_LIMITED": {
      const wait = cause?.retryAfterMs ? ` Try again in ${waitText(cause.retryAfterMs)}.` : " Try again later.";
      return { errors: { form: `${error.message}${wait}` }, status: 429 };
    }
    case "CSRF_ORIGIN_REJECTED":
      return {
        errors: { form: "This form must be sent from the Livehall site. Reload the page and try again." },
        status: 403,
      };
    case "SERVICE_UNAVAILABLE":
      return { errors: { form: "Livehall is briefly unavailable. Try again in a moment." }, status: 503 };
    default:
      throw error;
  }
}
