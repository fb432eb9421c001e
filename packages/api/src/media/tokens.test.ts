import { describe, expect, test } from "vitest";
import { mediaTokenKey, mintMediaToken, newStay, readMediaToken } from "./tokens";

describe("media tokens", () => {
  const key = mediaTokenKey("s".repeat(32));
  const holder = { sessionId: "0b7c1c1e-6a54-4c2a-9f11-1f0a5a1d2e3f", connectionId: "tab-1", stay: newStay() };

  test("name their session, tab and stay, and only Livehall can mint them", () => {
    const token = mintMediaToken(key, holder);
    expect(readMediaToken(key, token)).toEqual(holder);
    expect(mintMediaToken(key, holder)).toBe(token);
    expect(mintMediaToken(key, { ...holder, connectionId: "tab-2" })).not.toBe(token);
    // A new stay of the same tab is another token.
    expect(mintMediaToken(key, { ...holder, stay: newStay() })).not.toBe(token);
    // Another deployment's key, a changed tab or a changed MAC: not ours.
    expect(readMediaToken(mediaTokenKey("t".repeat(32)), token)).toBeNull();
    expect(readMediaToken(key, token.replace("tab-1", "tab-2"))).toBeNull();
    expect(readMediaToken(key, `${token.slice(0, -2)}xx`)).toBeNull();
    for (const other of [null, "", "lh1", "lh1.a.b.c", `lh2${token.slice(3)}`, `${token}.extra`]) {
      expect(readMediaToken(key, other)).toBeNull();
    }
  });
});
