/**
 * The real web server for the API scenarios: apps/web/server/app.server.ts's createWebServer with
 * the whole production middleware stack (request id, request log + latency histogram, compression,
 * health, metrics, tRPC at /api/trpc) over the real services, in production mode. Remix is not
 * mounted (`remix: "none"`): in production it is mounted after /api/trpc, so API requests never
 * reach it and this measures exactly the API path. The page scenario runs the production bundle.
 */
import { closeServices, createLogger, createServices } from "@livehall/api";
import { loadWebConfig } from "@livehall/api/config";
import { createWebServer } from "../../../apps/web/server/app.server";

const config = loadWebConfig();
const logger = createLogger(config, "web");
const services = createServices(config, { logger });
const web = await createWebServer({ config, services });
await web.listen(config.port, "127.0.0.1");
// With --expose-gc (the big-room scenarios): SIGUSR2 collects, so /metrics then shows the live heap.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) process.on("SIGUSR2", () => gc());

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void web
    .close()
    .then(() => closeServices(services))
    .finally(() => process.exit(0));
});
