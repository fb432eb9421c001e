import type { TestProject } from "vitest/node";
import { startTestJanus } from "./janus";

/**
 * Vitest globalSetup: one Janus for the whole run. Test files read its coordinates with
 * `inject("janus")`; the app's config finds it through MEDIA_SERVERS, MEDIA_ADMIN_SECRET and
 * MEDIA_ROOM_ADMIN_KEY, set here for every worker. Stopped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The web app of the media end-to-end specs takes Janus's events at this URL (see their config).
  const eventsUrl = process.env.LIVEHALL_MEDIA_EVENTS_URL || undefined;
  const janus = await startTestJanus({ eventsUrl });
  const { id, apiUrl, adminUrl, adminSecret, roomAdminKey, iceInterface, dir } = janus;
  project.provide("janus", { id, apiUrl, adminUrl, adminSecret, roomAdminKey, iceInterface, dir });
  Object.assign(process.env, janus.env());
  return () => janus.stop();
}
