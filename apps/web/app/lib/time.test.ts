import { describe, expect, test } from "vitest";
import { formatDuration, formatLocal, formatRelative, formatUtc } from "./time";

const now = new Date("2026-03-04T12:00:00.000Z");
const at = (ms: number) => new Date(now.getTime() + ms);
const MIN = 60_000;

describe("relative times", () => {
  test.each([
    [2 * 60 * MIN, "in 2 hours"],
    [61 * MIN, "in 1 hour"],
    [-5 * MIN, "5 min ago"],
    [-30_000, "just now"],
    [30_000, "starting now"],
    [26 * 60 * MIN, "in 1 day"],
    [-3 * 24 * 60 * MIN, "3 days ago"],
    [45 * 24 * 60 * MIN, "in 2 months"],
    [-400 * 24 * 60 * MIN, "1 year ago"],
  ])("%i ms → %s", (offset, expected) => {
    expect(formatRelative(at(offset), now)).toBe(expected);
  });

  test("durations are never zero minutes", () => {
    expect(formatDuration(10_000)).toBe("1 min");
  });
});

describe("absolute times", () => {
  test("the server's text is a fixed UTC format, the same on every engine", () => {
    expect(formatUtc(new Date("2026-03-04T07:05:00Z"))).toBe("Wed, Mar 4, 07:05 UTC");
    expect(formatUtc(new Date("2026-12-31T23:59:00Z"))).toBe("Thu, Dec 31, 23:59 UTC");
  });

  test("the browser's text is in the viewer's time zone", () => {
    const text = formatLocal(new Date("2026-03-04T07:05:00Z"), "Asia/Tokyo");
    expect(text).toContain("4:05");
    expect(text).toContain("GMT+9");
  });
});
