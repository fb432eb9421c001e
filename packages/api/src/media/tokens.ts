import { createHmac, timingSafeEqual } from "node:crypto";

// A media token is one tab's right to talk to Janus: "<sessionId>.<connectionId>.<mac>", the MAC an
// HMAC of the first two under a key derived from AUTH_SECRET. Nothing is stored to mint or read one:
// the server recomputes it, and whoever finds a token on Janus (a handle, the token list) can tell
// which session and tab it belongs to, and whether Livehall minted it.

const PREFIX = "lh1";

export type MediaTokenKey = Buffer;

export function mediaTokenKey(authSecret: string): MediaTokenKey {
  return createHmac("sha256", authSecret).update("livehall:media-token").digest();
}

function mac(key: MediaTokenKey, sessionId: string, connectionId: string): string {
  return createHmac("sha256", key).update(`${sessionId}.${connectionId}`).digest("base64url");
}

export function mintMediaToken(key: MediaTokenKey, sessionId: string, connectionId: string): string {
  return `${PREFIX}.${sessionId}.${connectionId}.${mac(key, sessionId, connectionId)}`;
}

/** The session and tab of a token Livehall minted; null for anything else. */
export function readMediaToken(
  key: MediaTokenKey,
  token: string | null,
): { sessionId: string; connectionId: string } | null {
  const parts = token?.split(".");
  if (parts?.length !== 4 || parts[0] !== PREFIX) return null;
  const [, sessionId, connectionId, given] = parts as [string, string, string, string];
  const expected = Buffer.from(mac(key, sessionId, connectionId));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return { sessionId, connectionId };
}
