/**
 * The connection id of this tab in a session's room: random, kept in sessionStorage per session, so a
 * reload is the same tab (the server sees one connection, not a new one per reload) while every other
 * tab — sessionStorage is per tab — has its own.
 */
export function roomConnectionId(
  sessionId: string,
  storage: Pick<Storage, "getItem" | "setItem"> | null = safeSessionStorage(),
): string {
  const key = `livehall:room:${sessionId}:connection`;
  const stored = storage?.getItem(key);
  if (stored && /^[\w-]{8,64}$/.test(stored)) return stored;
  const id = newConnectionId();
  try {
    storage?.setItem(key, id);
  } catch {
    // Storage full or blocked: this page load keeps its id in memory.
  }
  return id;
}

function newConnectionId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Non-secure contexts (plain http on a LAN address) have no randomUUID.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
