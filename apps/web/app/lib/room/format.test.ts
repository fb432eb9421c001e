import { describe, expect, test } from "vitest";
import { roomConnectionId } from "./connection-id";
import { describeElapsed, formatElapsed, secondsUntil, whoIsHere } from "./format";

describe("the room's formats", () => {
  test.each([
    [0, "0:00"],
    [7_900, "0:07"],
    [754_000, "12:34"],
    [3_723_000, "1:02:03"],
    [-5_000, "0:00"],
  ])("elapsed %i ms → %s", (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  test("elapsed for screen readers", () => {
    expect(describeElapsed(7_000)).toBe("7 seconds");
    expect(describeElapsed(61_000)).toBe("1 minute");
    expect(describeElapsed(3_723_000)).toBe("1 hour 2 minutes");
  });

  test("the countdown never shows 0 while waiting", () => {
    expect(secondsUntil(1_000, 999)).toBe(1);
    expect(secondsUntil(3_200, 0)).toBe(4);
  });
});

describe("the tab's connection id", () => {
  test("kept per session, so a reload is the same tab; another session gets its own", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (key: string) => store.get(key) ?? null,
      setItem: (key: string, value: string) => void store.set(key, value),
    };
    const first = roomConnectionId("s1", storage);
    expect(first).toMatch(/^[\w-]{8,64}$/);
    expect(roomConnectionId("s1", storage)).toBe(first);
    expect(roomConnectionId("s2", storage)).not.toBe(first);
    // Without storage each call is a new tab.
    expect(roomConnectionId("s1", null)).not.toBe(first);
  });
});

describe("who is here (the pre-join screen)", () => {
  test("names the first two and counts the rest, in plain words", () => {
    expect(whoIsHere([], 0)).toBe("Nobody is here yet.");
    expect(whoIsHere(["Ann"], 1)).toBe("Ann is here.");
    expect(whoIsHere(["Ann", "Bo"], 2)).toBe("Ann and Bo are here.");
    expect(whoIsHere(["Ann", "Bo", "Cy"], 3)).toBe("Ann, Bo and 1 other are here.");
    expect(whoIsHere(["Ann", "Bo", "Cy"], 12)).toBe("Ann, Bo and 10 others are here.");
    // The list not loaded yet: the count alone.
    expect(whoIsHere([], 4)).toBe("4 people are here.");
  });
});
