import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { WEB_NODE_FLAGS } from "./node-flags.mjs";

test("the workspace's own start script runs the web server with the same V8 flags as npm start", () => {
  const { scripts } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  };
  expect(WEB_NODE_FLAGS.length).toBeGreaterThan(0);
  expect(scripts.start!.split(" ").filter((word) => word.startsWith("--"))).toEqual(WEB_NODE_FLAGS);
});
