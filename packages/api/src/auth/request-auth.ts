import type { RequestInfo, SessionUser } from "../context";
import { Reason, isInfrastructureOutage } from "../errors";
import { ACCESS_COOKIE, REFRESH_COOKIE, authCookies, clearedAuthCookies, parseCookies } from "./cookies";
import { accessTokenState } from "./revocation";
import { refresh } from "./service";
import { verifyAccessToken } from "./tokens";

export interface RequestAuth {
  user: SessionUser | null;
  /** Why presented credentials gave no user; null when none were presented or they worked. */
  error: Reason | null;
  transport: RequestInfo["authTransport"];
  accessTokenExpiresAt: Date | null;
  /** Set-Cookie values to add to the response (refreshed or cleared cookies). */
  setCookies: string[];
}

type AuthServices = Parameters<typeof refresh>[0];

const definiteAuthReasons = new Set<Reason>([
  Reason.REFRESH_TOKEN_INVALID,
  Reason.REFRESH_TOKEN_EXPIRED,
  Reason.REFRESH_TOKEN_REUSED,
  Reason.SESSION_REVOKED,
]);

function reasonOfFailure(error: unknown): Reason {
  const cause = (error as { cause?: { reason?: Reason } }).cause;
  if (cause?.reason) return cause.reason;
  if (isInfrastructureOutage(error)) return Reason.SERVICE_UNAVAILABLE;
  throw error;
}

/** Cookies are `Secure` when the browser's connection is https (RequestInfo.secure). */
export function cookieOptions(request: { secure?: boolean | undefined }) {
  return { secure: request.secure === true };
}

/**
 * Resolves the user of one HTTP request, once, before any procedure or loader runs: a Bearer token,
 * or the `lh_at` cookie — refreshed from `lh_rt` when only the access token has expired, with the
 * new cookies returned for the response. So parallel loaders never race a refresh, and a page load
 * never bounces to /login because an access token expired.
 */
export async function authenticateRequest(
  services: AuthServices,
  headers: { authorization?: string | null; cookie?: string | null; userAgent?: string | null; secure?: boolean },
): Promise<RequestAuth> {
  const now = services.clock();
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return withTransport(await checkAccessToken(services, bearer, now), "bearer", []);

  const cookies = parseCookies(headers.cookie);
  const accessCookie = cookies.get(ACCESS_COOKIE);
  const refreshCookie = cookies.get(REFRESH_COOKIE);
  if (!accessCookie && !refreshCookie)
    return { user: null, error: null, transport: "none", accessTokenExpiresAt: null, setCookies: [] };

  if (accessCookie) {
    const checked = await checkAccessToken(services, accessCookie, now);
    const canRefresh =
      refreshCookie && (checked.error === Reason.ACCESS_TOKEN_EXPIRED || checked.error === Reason.UNAUTHENTICATED);
    if (!canRefresh) {
      const setCookies = checked.error === Reason.SESSION_REVOKED ? clearedAuthCookies(cookieOptions(headers)) : [];
      return withTransport(checked, "cookie", setCookies);
    }
  }

  try {
    const tokens = await refresh(services, refreshCookie!, headers.userAgent ?? null);
    return {
      user: tokens.user,
      error: null,
      transport: "cookie",
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      setCookies: authCookies(tokens, now, cookieOptions(headers)),
    };
  } catch (error) {
    const reason = reasonOfFailure(error);
    return {
      user: null,
      error: reason,
      transport: "cookie",
      accessTokenExpiresAt: null,
      // Only a definite answer ends the browser's sign-in; an outage keeps the cookies for later.
      setCookies: definiteAuthReasons.has(reason) ? clearedAuthCookies(cookieOptions(headers)) : [],
    };
  }
}

/** Not `{ ...checked, transport }`: on Node 20 that builds a new hidden class per request (see createContext). */
function withTransport(checked: CheckedToken, transport: RequestAuth["transport"], setCookies: string[]): RequestAuth {
  return {
    user: checked.user,
    error: checked.error,
    accessTokenExpiresAt: checked.accessTokenExpiresAt,
    transport,
    setCookies,
  };
}

type CheckedToken = Omit<RequestAuth, "transport" | "setCookies">;

async function checkAccessToken(services: AuthServices, token: string, now: Date): Promise<CheckedToken> {
  const verified = await verifyAccessToken(services.tokenKeys, token, now);
  if (!verified.ok) {
    return {
      user: null,
      error: verified.expired ? Reason.ACCESS_TOKEN_EXPIRED : Reason.UNAUTHENTICATED,
      accessTokenExpiresAt: null,
    };
  }
  try {
    const state = await accessTokenState(services, {
      familyId: verified.user.familyId,
      userId: verified.user.id,
      issuedAtSeconds: verified.issuedAtSeconds,
    });
    if (state === "revoked") return { user: null, error: Reason.SESSION_REVOKED, accessTokenExpiresAt: null };
    // Issued before a change to its user (a new role): refreshing gets a token that says so.
    if (state === "stale") return { user: null, error: Reason.ACCESS_TOKEN_EXPIRED, accessTokenExpiresAt: null };
  } catch (error) {
    // Fail closed: without Redis we cannot tell a revoked token from a good one.
    return { user: null, error: reasonOfFailure(error), accessTokenExpiresAt: null };
  }
  return { user: verified.user, error: null, accessTokenExpiresAt: verified.expiresAt };
}
