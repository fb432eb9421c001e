/// <reference types="vitest/config" />
import { vitePlugin as remix } from "@remix-run/dev";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";

declare module "@remix-run/node" {
  // Single fetch changes what loaders return (plain objects); this makes useLoaderData's types match.
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  // Browser dependencies reached through the workspace's own packages (@livehall/api/client), which
  // Vite's start-up scan does not follow: listed, they are optimized before the first page instead of
  // on first use, when each discovery reloads the page mid-hydration.
  optimizeDeps: { include: ["@trpc/client", "@trpc/server", "@trpc/server/observable", "superjson"] },
  plugins: [
    tailwindcss(),
    remix({
      ignoredRouteFiles: ["**/*.test.*"],
      // The end-to-end tests build into a folder of their own (e2e/global-setup.ts), leaving build/ alone.
      buildDirectory: process.env.LIVEHALL_WEB_BUILD_DIR || "build",
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
});
