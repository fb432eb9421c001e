import { createHash, createHmac, randomBytes, webcrypto } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Role, SessionUser } from "../context";

/**
 * Token cryptography. Separate keys are derived from AUTH_SECRET for each purpose, so a leak of
 * one use (say, a logged HMAC) says nothing about the other.
 */
export interface TokenKeys {
  accessJwt: Uint8Array;
  refreshRotation: Buffer;
  /** Signs personal calendar-feed links (services/calendar.ts). */
  calendarFeed: Buffer;
}

export function deriveTokenKeys(secret: string): TokenKeys {
  const derive = (purpose: string) => createHmac("sha256", secret).update(`livehall:${purpose}`).digest();
  return {
    accessJwt: new Uint8Array(derive("access-jwt")),
    refreshRotation: derive("refresh-rotation"),
    calendarFeed: derive("calendar-feed"),
  };
}

export const REFRESH_TOKEN_BYTES = 32;

export function newRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString("base64url");
}

/** What the database stores instead of the token. */
export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The successor of T is HMAC(secret, T): recomputable from T, so only hashes need storing. */
export function successorOf(keys: TokenKeys, token: string): string {
  return createHmac("sha256", keys.refreshRotation).update(token).digest("base64url");
}

/** Who issues access tokens and who accepts them: a token signed with the same key for another use is refused. */
export const ACCESS_TOKEN_ISSUER = "livehall";
export const ACCESS_TOKEN_AUDIENCE = "livehall-api";

export async function signAccessToken(
  keys: TokenKeys,
  user: SessionUser,
  issuedAt: Date,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const exp = Math.floor((issuedAt.getTime() + ttlMs) / 1000);
  const token = await new SignJWT({ role: user.role, fam: user.familyId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(user.id)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(await accessCryptoKey(keys));
  return { token, expiresAt: new Date(exp * 1000) };
}

export type AccessTokenCheck =
  { ok: true; user: SessionUser; expiresAt: Date; issuedAtSeconds: number } | { ok: false; expired: boolean };

/**
 * The access-token key imported into WebCrypto once per process. Given raw bytes, jose imports the
 * key again on every call — on the heartbeat path that was a WebCrypto job per request for nothing.
 */
const accessCryptoKeys = new WeakMap<TokenKeys, Promise<webcrypto.CryptoKey>>();

function accessCryptoKey(keys: TokenKeys): Promise<webcrypto.CryptoKey> {
  let key = accessCryptoKeys.get(keys);
  if (!key) {
    key = webcrypto.subtle.importKey("raw", keys.accessJwt, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    accessCryptoKeys.set(keys, key);
  }
  return key;
}

/**
 * Tokens whose signature was verified, by their exact text, until they expire. A tab sends the same
 * access token with every heartbeat (30 per token at the defaults), so most requests skip the HMAC.
 * Only a byte-identical token hits; expiry is still checked on every use, and revocation is not
 * cached at all (authenticateRequest asks Redis every time). Bounded: the oldest entries go first.
 */
const verifiedTokens = new WeakMap<
  TokenKeys,
  Map<string, { user: SessionUser; expiresAt: Date; issuedAtSeconds: number }>
>();
export const VERIFIED_TOKEN_CACHE_SIZE = 50_000;

export async function verifyAccessToken(keys: TokenKeys, token: string, now: Date): Promise<AccessTokenCheck> {
  let verified = verifiedTokens.get(keys);
  if (!verified) verifiedTokens.set(keys, (verified = new Map()));
  const known = verified.get(token);
  if (known) {
    // jose's rule: a token is expired once now >= exp.
    if (now.getTime() < known.expiresAt.getTime())
      return { ok: true, user: known.user, expiresAt: known.expiresAt, issuedAtSeconds: known.issuedAtSeconds };
    verified.delete(token);
  }
  try {
    const { payload } = await jwtVerify(token, await accessCryptoKey(keys), {
      algorithms: ["HS256"],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      currentDate: now,
    });
    const role = payload.role;
    if (
      typeof payload.sub !== "string" ||
      typeof payload.fam !== "string" ||
      !isRole(role) ||
      typeof payload.exp !== "number" ||
      typeof payload.iat !== "number"
    ) {
      return { ok: false, expired: false };
    }
    const user = { id: payload.sub, role, familyId: payload.fam };
    const expiresAt = new Date(payload.exp * 1000);
    const issuedAtSeconds = payload.iat;
    if (verified.size >= VERIFIED_TOKEN_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { user, expiresAt, issuedAtSeconds });
    return { ok: true, user, expiresAt, issuedAtSeconds };
  } catch (error) {
    return { ok: false, expired: error instanceof joseErrors.JWTExpired };
  }
}

function isRole(value: unknown): value is Role {
  return value === "STUDENT" || value === "INSTRUCTOR" || value === "ADMIN";
}
