import { TRPCError } from "@trpc/server";
import { waitText, type FormErrors } from "../../lib/form-errors.server";

interface ReasonCauseLike {
  reason?: string;
  at?: string;
  retryAfterMs?: number;
}
interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
}

const STATUS: Partial<Record<TRPCError["code"], number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 409,
  TOO_MANY_REQUESTS: 429,
  TIMEOUT: 504,
  SERVICE_UNAVAILABLE: 503,
};

export interface ActionError {
  errors: FormErrors;
  status: number;
  /** The API's machine-readable reason (NO_WORKER, SESSION_NOT_LIVE, SLUG_TAKEN…). */
  reason: string | undefined;
  /** The time the answer is about (STARTS_LATER: the planned start), ISO. */
  at?: string | undefined;
}

export interface ActionErrorOptions {
  /** Friendlier words for a field's validation errors (e.g. a number's range) than zod's. */
  fieldMessages?: Partial<Record<string, string>>;
  /** Which field an answer belongs to (SLUG_TAKEN → slug); by default it is about the whole form. */
  fieldFor?: (reason: string | undefined, error: TRPCError) => string | undefined;
  /** A budget's answer (RATE_LIMITED) ends with when to try again, for messages that don't say it. */
  sayWhenToRetry?: boolean;
}

/**
 * Turns the error of an in-process procedure call in an action into what the form shows: zod's
 * issues per field, and the API's answers (its reason and its sentence, written for people) for the
 * form or one field. A bug (500) is rethrown for the error boundary; a job that failed is an answer.
 */
export function actionErrorFrom(error: unknown, options: ActionErrorOptions = {}): ActionError {
  if (!(error instanceof TRPCError)) throw error;
  const { reason, at, retryAfterMs } = (error.cause as ReasonCauseLike | undefined) ?? {};
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  if (error.code === "BAD_REQUEST" && Array.isArray(issues)) {
    const fields: Record<string, string> = {};
    let form: string | undefined;
    for (const issue of issues as ZodIssueLike[]) {
      const field = issue.path[0] === undefined ? undefined : String(issue.path[0]);
      if (field === undefined) form ??= issue.message;
      else fields[field] ??= options.fieldMessages?.[field] ?? issue.message;
    }
    return { errors: { form, fields }, status: 400, reason };
  }
  const status = reason === "JOB_FAILED" ? 502 : STATUS[error.code];
  if (status === undefined) throw error;
  const field = options.fieldFor?.(reason, error);
  const retry =
    options.sayWhenToRetry && reason === "RATE_LIMITED" && retryAfterMs
      ? ` Try again in ${waitText(retryAfterMs)}.`
      : "";
  const message = `${error.message}${retry}`;
  return { errors: field ? { fields: { [field]: message } } : { form: message }, status, reason, at };
}

/** One sentence for an action that shows one message (a card, a row): the form's, else the first field's. */
export function actionMessageFrom(error: unknown, fallback: string): ActionError & { message: string } {
  const answer = actionErrorFrom(error);
  return { ...answer, message: answer.errors.form ?? Object.values(answer.errors.fields ?? {})[0] ?? fallback };
}
