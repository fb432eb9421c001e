import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, test } from "vitest";
import { appRoot } from "./paths";

// The debug panels' own markers (a class on their root element) and their visible titles, by source file.
const DEBUG_PANELS = {
  "components/room/debug-panel.tsx": ["lh-room-debug-panel", "Room debug (development build)"],
  "components/room/media/media-debug.tsx": ["lh-media-debug-panel", "Media debug (development build)"],
};
const DEBUG_PANEL_MARKERS = Object.values(DEBUG_PANELS).flat();
// A string of the room's connection status, which the production room must contain.
const ROOM_STATUS_TEXT = "Not in the room";

/** Every JavaScript file the production build serves to browsers, with its text. */
async function clientScripts(): Promise<{ file: string; text: string }[]> {
  const assets = path.join(inject("e2eAppRoot"), "build", "client", "assets");
  const files = (await readdir(assets)).filter((file) => file.endsWith(".js"));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(path.join(assets, file), "utf8") })));
}

describe("the production bundle", () => {
  test("carries the room but not its development-only debug panels", async () => {
    // The markers are real: the panels' sources have them (so their absence below means something).
    for (const [file, markers] of Object.entries(DEBUG_PANELS)) {
      const source = await readFile(path.join(appRoot, "app", file), "utf8");
      for (const marker of markers) expect(source).toContain(marker);
    }

    const scripts = await clientScripts();
    expect(scripts.filter((script) => script.text.includes(ROOM_STATUS_TEXT)).length).toBeGreaterThan(0);
    const leaking = scripts
      .filter((script) => DEBUG_PANEL_MARKERS.some((marker) => script.text.includes(marker)))
      .map((script) => script.file);
    expect(leaking).toEqual([]);
  });
});
