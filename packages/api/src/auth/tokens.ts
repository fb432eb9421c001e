import { createHash, createHmac, randomBytes } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Role, SessionUser } from "../context";

/**
 * Token cryptography. Separate keys are derived from AUTH_SECRET for each purpose, so a leak of
 * one use (say, a logged HMAC) says nothing about the other.
 */
export interface TokenKeys {
  accessJwt: Uint8Array;
  refreshRotation: Buffer;
}

export function deriveTokenKeys(secret: string): TokenKeys {
  const derive = (purpose: string) => createHmac("sha256", secret).update(`livehall:${purpose}`).digest();
  return { accessJwt: new Uint8Array(derive("access-jwt")), refreshRotation: derive("refresh-rotation") };
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

export async function signAccessToken(keys: TokenKeys, user: SessionUser, issuedAt: Date, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const exp = Math.floor((issuedAt.getTime() + ttlMs) / 1000);
  const token = await new SignJWT({ role: user.role, fam: user.familyId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(user.id)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keys.accessJwt);
  return { token, expiresAt: new Date(exp * 1000) };
}

export type AccessTokenCheck =
  | { ok: true; user: SessionUser; expiresAt: Date }
  | { ok: false; expired: boolean };

export async function verifyAccessToken(keys: TokenKeys, token: string, now: Date): Promise<AccessTokenCheck> {
  try {
    const { payload } = await jwtVerify(token, keys.accessJwt, { algorithms: ["HS256"], currentDate: now });
    const role = payload.role;
    if (typeof payload.sub !== "string" || typeof payload.fam !== "string" || !isRole(role) || typeof payload.exp !== "number") {
      return { ok: false, expired: false };
    }
    return { ok: true, user: { id: payload.sub, role, familyId: payload.fam }, expiresAt: new Date(payload.exp * 1000) };
  } catch (error) {
    return { ok: false, expired: error instanceof joseErrors.JWTExpired };
  }
}

function isRole(value: unknown): value is Role {
  return value === "STUDENT" || value === "INSTRUCTOR" || value === "ADMIN";
}
