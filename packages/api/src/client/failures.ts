/** How the client classifies a failed call. Browser-safe: no server imports. */

/** Auth answers that really mean "signed out" — everything else is retried or surfaced, never a sign-out. */
const SIGN_OUT_REASONS = new Set([
  "SESSION_REVOKED",
  "REFRESH_TOKEN_REUSED",
  "REFRESH_TOKEN_EXPIRED",
  "REFRESH_TOKEN_INVALID",
  "ACCOUNT_DISABLED",
]);

interface ErrorLike {
  data?: { reason?: string; httpStatus?: number } | null;
  meta?: { response?: { status?: number } };
  cause?: unknown;
}

export function failureReason(error: unknown): string | undefined {
  return (error as ErrorLike | null)?.data?.reason ?? undefined;
}

export function definiteSignOutReason(error: unknown): string | null {
  const reason = failureReason(error);
  return reason && SIGN_OUT_REASONS.has(reason) ? reason : null;
}

export function isAccessTokenExpired(error: unknown): boolean {
  return failureReason(error) === "ACCESS_TOKEN_EXPIRED";
}

/** Network failures (no answer at all) and 5xx answers are worth retrying; 4xx are not. */
export function isRetryableFailure(error: unknown): boolean {
  const candidate = error as ErrorLike | null;
  const status = candidate?.data?.httpStatus ?? candidate?.meta?.response?.status;
  if (typeof status === "number") return status >= 500;
  return !candidate?.data;
}
