import { describe, expect, test } from "vitest";
import { formatDay, formatDuration, formatInZone, formatLocal, formatRelative, formatUtc } from "./time";

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

  test("a date in the current year leaves the year out; another year shows it", () => {
    const thisYear = new Date("2026-11-05T09:30:00Z");
    const nextYear = new Date("2027-01-05T09:30:00Z");
    const lastYear = new Date("2025-12-31T09:30:00Z");
    expect(formatUtc(thisYear, now)).toBe("Thu, Nov 5, 09:30 UTC");
    expect(formatUtc(nextYear, now)).toBe("Tue, Jan 5, 2027, 09:30 UTC");
    expect(formatUtc(lastYear, now)).toBe("Wed, Dec 31, 2025, 09:30 UTC");
    expect(formatLocal(thisYear, "UTC", now)).not.toContain("2026");
    expect(formatLocal(nextYear, "UTC", now)).toContain("2027");
    expect(formatLocal(lastYear, "UTC", now)).toContain("2025");
  });

  test("the year is the viewer's: New Year's Eve in UTC is already next year in Tokyo", () => {
    const eve = new Date("2026-12-31T20:00:00Z");
    expect(formatLocal(eve, "UTC", now)).not.toContain("2026");
    expect(formatLocal(eve, "Asia/Tokyo", now)).toContain("2027");
  });
});

describe("times in the viewer's time zone, on the server", () => {
  test("the same words as Intl's en-US short form, built from numbers (identical on every engine)", () => {
    const now = new Date("2026-03-04T12:00:00Z");
    expect(formatInZone(new Date("2026-03-04T07:05:00Z"), "Asia/Tokyo", now)).toBe("Wed, Mar 4, 4:05 PM GMT+9");
    expect(formatInZone(new Date("2026-03-04T07:05:00Z"), "UTC", now)).toBe("Wed, Mar 4, 7:05 AM UTC");
    expect(formatInZone(new Date("2026-07-01T00:30:00Z"), "America/New_York", now)).toBe("Tue, Jun 30, 8:30 PM GMT-4");
    expect(formatInZone(new Date("2026-03-04T07:05:00Z"), "Asia/Kolkata", now)).toBe("Wed, Mar 4, 12:35 PM GMT+5:30");
    expect(formatInZone(new Date("2026-12-31T23:30:00Z"), "Asia/Tokyo", now)).toBe("Fri, Jan 1, 2027, 8:30 AM GMT+9");
  });

  test("days are the viewer's: today, tomorrow, then the date", () => {
    const now = new Date("2026-03-04T20:00:00Z"); // Thursday 05:00 in Tokyo, still Wednesday in New York
    expect(formatDay(new Date("2026-03-04T22:00:00Z"), "Asia/Tokyo", now)).toBe("Today");
    expect(formatDay(new Date("2026-03-05T16:00:00Z"), "Asia/Tokyo", now)).toBe("Tomorrow");
    expect(formatDay(new Date("2026-03-04T22:00:00Z"), "America/New_York", now)).toBe("Today");
    expect(formatDay(new Date("2026-03-06T22:00:00Z"), "America/New_York", now)).toBe("Friday, March 6");
    expect(formatDay(new Date("2027-01-06T22:00:00Z"), "UTC", now)).toBe("Wednesday, January 6, 2027");
  });
});
