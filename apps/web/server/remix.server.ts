import { mkdtemp, rm } from "node:fs/promises";
import { IncomingMessage, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Services } from "@livehall/api";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express, { type Express, type Request, type RequestHandler } from "express";
import { createGetLoadContext } from "./load-context.server";
import { pageContentSecurityPolicy } from "./security-headers.server";

export interface RemixMountOptions {
  /** `vite`: dev server with HMR, compiling on request. `build`: the output of `remix vite:build`. */
  mode: "vite" | "build";
  /** The web app's folder: vite.config.ts and build/ live there. */
  appRoot: string;
  httpServer: Server;
  services: Services;
  serverMode: "development" | "production" | "test";
}

/** Page forms (sign-in, sign-up, course and schedule forms) are a few kilobytes; nothing needs more. */
export const MAX_FORM_BODY_BYTES = 64 * 1024;

const readLimitedBody = express.raw({ limit: MAX_FORM_BODY_BYTES, type: () => true });

/** A fresh request (express's methods, the same socket and headers) whose body is `body`. */
function replay(req: Request, body: Buffer): Request {
  const copy = Object.setPrototypeOf(new IncomingMessage(req.socket), Object.getPrototypeOf(req) as object) as Request;
  Object.assign(copy, {
    method: req.method,
    url: req.url,
    originalUrl: req.originalUrl,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    app: req.app,
    res: req.res,
    // Complete: ending this copy must not be taken for an aborted request (that destroys the socket).
    complete: true,
  });
  copy.push(body);
  copy.push(null);
  return copy;
}

/**
 * Remix actions read whole bodies (`request.formData()`): a body over MAX_FORM_BODY_BYTES is refused
 * with 413 before Remix sees it, by its Content-Length or, for a chunked body, by counting its bytes.
 * A body within the limit is read here and handed to Remix as it came.
 */
function limitBody(handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return handler(req, res, next);
    readLimitedBody(req, res, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type === "entity.too.large") {
        res.status(413).set("connection", "close").type("text/plain").send("Request body too large.");
        return;
      }
      if (error) return next(error);
      void handler(replay(req, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)), res, next);
    });
  };
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
      pageContentSecurityPolicy,
      limitBody(
        createRequestHandler({
          build: () => viteDevServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>,
          getLoadContext,
          mode: options.serverMode,
        }),
      ),
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
  app.all(
    "*",
    pageContentSecurityPolicy,
    limitBody(createRequestHandler({ build, getLoadContext, mode: options.serverMode })),
  );
  return { close: async () => undefined };
}
