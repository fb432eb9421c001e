import { expect, test } from "vitest";
import { openFileLimits } from "./file-limits.server";

test("reads the soft and hard open-file limits from /proc/self/limits", () => {
  const sample = [
    "Limit                     Soft Limit           Hard Limit           Units     ",
    "Max processes             unlimited            unlimited            processes ",
    "Max open files            1024                 20000                files     ",
  ].join("\n");
  expect(openFileLimits(sample)).toEqual({ soft: 1024, hard: 20_000 });
  expect(openFileLimits("Max open files            unlimited            unlimited            files")).toEqual({
    soft: "unlimited",
    hard: "unlimited",
  });
  expect(openFileLimits("no such line")).toBeNull();
  // This process's own (tests run on Linux): the soft limit within the hard one.
  const own = openFileLimits();
  expect(own).not.toBeNull();
  const value = (n: number | "unlimited") => (n === "unlimited" ? Infinity : n);
  expect(value(own!.soft)).toBeLessThanOrEqual(value(own!.hard));
});
