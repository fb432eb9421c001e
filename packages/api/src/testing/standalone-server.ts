import type { AddressInfo } from "node:net";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import type { Services } from "../context";
import { createNodeContextFactory } from "../http-context";
import { appRouter } from "../root";

/**
 * The API alone on a loopback port (tRPC's standalone Node adapter), with the same context factory
 * the web server uses: for client tests that need real HTTP without the web app.
 */
export async function startApiServer(services: Services): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createHTTPServer({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: createNodeContextFactory(services),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/trpc`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
