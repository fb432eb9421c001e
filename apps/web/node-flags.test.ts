import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { WEB_NODE_FLAGS } from "./node-flags.mjs";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

test("the workspace's start script and the web image run the server with the same V8 flags as npm start", () => {
  expect(WEB_NODE_FLAGS.length).toBeGreaterThan(0);
  const { scripts } = JSON.parse(read("./package.json")) as { scripts: Record<string, string> };
  expect(scripts.start!.split(" ").filter((word) => word.startsWith("--"))).toEqual(WEB_NODE_FLAGS);
  // The web image's command: CMD ["node", <flags>, "apps/web/build/server.js"].
  const command = read("../../Dockerfile")
    .split("\n")
    .find((line) => line.startsWith("CMD") && line.includes("apps/web/build/server.js"));
  expect(JSON.parse(command!.slice("CMD".length)).slice(1, -1)).toEqual(WEB_NODE_FLAGS);
});
