import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

// A media token is one tab's right to talk to Janus for one stay in a session:
// "lh1.<sessionId>.<connectionId>.<stay>.<mac>", the MAC an HMAC of the rest under a key derived from
// AUTH_SECRET. Nothing secret is stored: the server recomputes a token from the tab's grant, and
// whoever finds a token on Janus (a handle, the token list) can tell which session, tab and stay it
// belongs to, and whether Livehall minted it. A new stay (the tab joins again after leaving) gets a
// new token, so revoking the old stay can never cut off the new one.

const PREFIX = "lh1";

export type MediaTokenKey = Buffer;

export interface MediaTokenHolder {
  sessionId: string;
  connectionId: string;
  stay: string;
}

export function mediaTokenKey(authSecret: string): MediaTokenKey {
  return createHmac("sha256", authSecret).update("livehall:media-token").digest();
}

/** A new stay's id: random, and free of the token's separator. */
export const newStay = () => randomBytes(9).toString("base64url");

function mac(key: MediaTokenKey, { sessionId, connectionId, stay }: MediaTokenHolder): string {
  return createHmac("sha256", key).update(`${sessionId}.${connectionId}.${stay}`).digest("base64url");
}

export function mintMediaToken(key: MediaTokenKey, holder: MediaTokenHolder): string {
  return `${PREFIX}.${holder.sessionId}.${holder.connectionId}.${holder.stay}.${mac(key, holder)}`;
}

/** The session, tab and stay of a token Livehall minted; null for anything else. */
export function readMediaToken(key: MediaTokenKey, token: string | null): MediaTokenHolder | null {
  const parts = token?.split(".");
  if (parts?.length !== 5 || parts[0] !== PREFIX) return null;
  const [, sessionId, connectionId, stay, given] = parts as [string, string, string, string, string];
  const holder = { sessionId, connectionId, stay };
  const expected = Buffer.from(mac(key, holder));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return holder;
}
