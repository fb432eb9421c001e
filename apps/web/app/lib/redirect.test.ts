import { describe, expect, test } from "vitest";
import { safeRedirect, withRedirectTo } from "./redirect";

describe("safeRedirect", () => {
  test.each([
    ["/sessions?tab=ended", "/sessions?tab=ended"],
    ["/sessions/abc#rate", "/sessions/abc#rate"],
    ["/teach", "/teach"],
    ["/sessions/../admin", "/admin"],
  ])("keeps the same-site path %s", (to, expected) => {
    expect(safeRedirect(to)).toBe(expected);
  });

  test.each([
    null,
    undefined,
    "",
    "sessions",
    "https://evil.example/",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "/login",
    "/signup?redirectTo=/login",
    "/logout",
    `/${"x".repeat(2_001)}`,
  ])("falls back for %j", (to) => {
    expect(safeRedirect(to)).toBe("/sessions");
    expect(safeRedirect(to, "/elsewhere")).toBe("/elsewhere");
  });
});

describe("withRedirectTo", () => {
  test("adds the target unless it is the default or unsafe", () => {
    expect(withRedirectTo("/login", "/sessions?tab=live")).toBe("/login?redirectTo=%2Fsessions%3Ftab%3Dlive");
    expect(withRedirectTo("/login", "/sessions")).toBe("/login");
    expect(withRedirectTo("/login", "//evil.example")).toBe("/login");
    expect(withRedirectTo("/signup", null)).toBe("/signup");
  });
});
