import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, test } from "vitest";
import { appRoot } from "./paths";

// The debug panel's own marker (a class on its root element) and its visible title.
const DEBUG_PANEL_MARKERS = ["lh-room-debug-panel", "Room debug (development build)"];
// A string of the room's connection status, which the production room must contain.
const ROOM_STATUS_TEXT = "Not in the room";

/** Every JavaScript file the production build serves to browsers, with its text. */
async function clientScripts(): Promise<{ file: string; text: string }[]> {
  const assets = path.join(inject("e2eAppRoot"), "build", "client", "assets");
  const files = (await readdir(assets)).filter((file) => file.endsWith(".js"));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(path.join(assets, file), "utf8") })));
}

describe("the production bundle", () => {
  test("carries the room but not its development-only debug panel", async () => {
    // The markers are real: the panel's source has them (so their absence below means something).
    const source = await readFile(path.join(appRoot, "app", "components", "room", "debug-panel.tsx"), "utf8");
    for (const marker of DEBUG_PANEL_MARKERS) expect(source).toContain(marker);

    const scripts = await clientScripts();
    expect(scripts.filter((script) => script.text.includes(ROOM_STATUS_TEXT)).length).toBeGreaterThan(0);
    const leaking = scripts
      .filter((script) => DEBUG_PANEL_MARKERS.some((marker) => script.text.includes(marker)))
      .map((script) => script.file);
    expect(leaking).toEqual([]);
  });
});
