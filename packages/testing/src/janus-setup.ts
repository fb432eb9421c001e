import type { TestProject } from "vitest/node";
import { startTestJanus } from "./janus";

/**
 * Vitest globalSetup: one Janus for the whole run. Test files read its coordinates with
 * `inject("janus")`; the app's config finds it through MEDIA_SERVERS, MEDIA_ADMIN_SECRET and
 * MEDIA_ROOM_ADMIN_KEY, set here for every worker. Stopped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const janus = await startTestJanus();
  const { id, apiUrl, adminUrl, adminSecret, roomAdminKey, iceInterface } = janus;
  project.provide("janus", { id, apiUrl, adminUrl, adminSecret, roomAdminKey, iceInterface });
  Object.assign(process.env, janus.env());
  return () => janus.stop();
}
