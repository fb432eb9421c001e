import { randomBytes } from "node:crypto";
import type { RequestHandler } from "express";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express types its locals through this namespace.
  namespace Express {
    interface Locals {
      /** This page's Content-Security-Policy nonce, for the scripts Remix renders. */
      cspNonce?: string;
    }
  }
}

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Headers for every answer express gives (pages, assets, the API). HSTS only over https: on plain
 * http it means nothing, and in development it would pin localhost to https. `req.secure` trusts
 * X-Forwarded-Proto only from the proxies the app's `trust proxy` rule names.
 */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
  if (req.secure) res.setHeader("Strict-Transport-Security", `max-age=${ONE_YEAR_SECONDS}; includeSubDomains`);
  next();
};

/** The policy of a page whose scripts carry `nonce`. */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    // React's style={} props, and Vite injecting the stylesheet as <style> in development.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    // 'self' covers the event streams and, in development, Vite's HMR websocket on the same port.
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A fresh nonce per page request, and the policy that allows only scripts carrying it. */
export const pageContentSecurityPolicy: RequestHandler = (_req, res, next) => {
  const nonce = randomBytes(16).toString("base64");
  res.locals.cspNonce = nonce;
  res.setHeader("Content-Security-Policy", contentSecurityPolicy(nonce));
  next();
};
