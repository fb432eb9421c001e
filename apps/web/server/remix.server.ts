import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Services } from "@livehall/api";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express, { type Express } from "express";
import { createGetLoadContext } from "./load-context.server";

export interface RemixMountOptions {
  /** `vite`: dev server with HMR, compiling on request. `build`: the output of `remix vite:build`. */
  mode: "vite" | "build";
  /** The web app's folder: vite.config.ts and build/ live there. */
  appRoot: string;
  httpServer: Server;
  services: Services;
  serverMode: "development" | "production" | "test";
}

/** Mounts Remix (assets and pages) on `app`; returns what must be closed on shutdown. */
export async function mountRemix(app: Express, options: RemixMountOptions): Promise<{ close: () => Promise<void> }> {
  const getLoadContext = createGetLoadContext(options.services);

  if (options.mode === "vite") {
    // Imported on demand: vite is a dev dependency, absent from production installs.
    const { createServer } = await import("vite");
    const sigtermListenersBefore = new Set(process.listeners("SIGTERM"));
    // Test servers (several at once, stopped at any moment) optimise dependencies in a folder of their
    // own: sharing node_modules/.vite with each other and with `npm run dev` left it half-written,
    // and browsers then loaded two copies of React.
    const cacheDir =
      options.serverMode === "test" ? await mkdtemp(path.join(os.tmpdir(), "livehall-vite-")) : undefined;
    const viteDevServer = await createServer({
      root: options.appRoot,
      cacheDir,
      // HMR shares the app's port instead of opening one of its own.
      server: { middlewareMode: true, hmr: { server: options.httpServer } },
    });
    // Remix's plugin starts a second Vite server (its child compiler) that exits the process on
    // SIGTERM, cutting the graceful shutdown short; shutting down is the entry point's job.
    for (const listener of process.listeners("SIGTERM")) {
      if (!sigtermListenersBefore.has(listener)) process.off("SIGTERM", listener);
    }
    app.use(viteDevServer.middlewares);
    app.all(
      "*",
      createRequestHandler({
        build: () => viteDevServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>,
        getLoadContext,
        mode: options.serverMode,
      }),
    );
    return {
      close: async () => {
        await viteDevServer.close();
        if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
      },
    };
  }

  const buildDirectory = path.join(options.appRoot, "build");
  const clientDirectory = path.join(buildDirectory, "client");
  // File names under /assets carry a content hash, so they can be cached for good; a missing one is
  // a plain 404, not a rendered page.
  app.use(
    "/assets",
    express.static(path.join(clientDirectory, "assets"), { immutable: true, maxAge: "1y" }),
    (_req, res) => res.sendStatus(404),
  );
  app.use(express.static(clientDirectory, { maxAge: "1h" }));
  const build = (await import(pathToFileURL(path.join(buildDirectory, "server", "index.js")).href)) as ServerBuild;
  app.all("*", createRequestHandler({ build, getLoadContext, mode: options.serverMode }));
  return { close: async () => undefined };
}
