import { describe, expect, test } from "vitest";
import { mediaTokenKey, mintMediaToken, readMediaToken } from "./tokens";

describe("media tokens", () => {
  const key = mediaTokenKey("s".repeat(32));
  const sessionId = "0b7c1c1e-6a54-4c2a-9f11-1f0a5a1d2e3f";

  test("name their session and tab, and only Livehall can mint them", () => {
    const token = mintMediaToken(key, sessionId, "tab-1");
    expect(readMediaToken(key, token)).toEqual({ sessionId, connectionId: "tab-1" });
    expect(mintMediaToken(key, sessionId, "tab-1")).toBe(token);
    expect(mintMediaToken(key, sessionId, "tab-2")).not.toBe(token);
    // Another deployment's key, a changed tab or a changed MAC: not ours.
    expect(readMediaToken(mediaTokenKey("t".repeat(32)), token)).toBeNull();
    expect(readMediaToken(key, token.replace("tab-1", "tab-2"))).toBeNull();
    expect(readMediaToken(key, `${token.slice(0, -2)}xx`)).toBeNull();
    for (const other of [null, "", "lh1", "lh1.a.b", `lh2${token.slice(3)}`, `${token}.extra`]) {
      expect(readMediaToken(key, other)).toBeNull();
    }
  });
});
