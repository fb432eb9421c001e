#!/usr/bin/env node
// A small round-robin HTTP proxy for `npm run start:cluster`: spreads requests over the web
// instances, streams answers (so SSE works), adds X-Forwarded-For, and skips an instance for a few
// seconds after it refused a connection (a restarting instance). Node built-ins only.
// Env: PROXY_PORT, PROXY_BACKENDS (comma-separated http://host:port).
import http from "node:http";

const port = Number(process.env.PROXY_PORT ?? 3000);
const backends = (process.env.PROXY_BACKENDS ?? "")
  .split(",")
  .filter(Boolean)
  .map((url) => ({ url: new URL(url), downUntil: 0 }));
if (backends.length === 0) {
  console.error(
    "✖ PROXY_BACKENDS is empty: set it to the web instances, e.g. http://127.0.0.1:3001,http://127.0.0.1:3002",
  );
  process.exit(1);
}
const SKIP_AFTER_FAILURE_MS = 3_000;
let next = 0;

function pick() {
  const now = Date.now();
  for (let i = 0; i < backends.length; i++) {
    const backend = backends[(next + i) % backends.length];
    if (backend.downUntil <= now) {
      next = (next + i + 1) % backends.length;
      return backend;
    }
  }
  return backends[next++ % backends.length];
}

const server = http.createServer((req, res) => {
  const backend = pick();
  const forwardedFor = [req.headers["x-forwarded-for"], req.socket.remoteAddress].filter(Boolean).join(", ");
  const upstream = http.request(
    {
      host: backend.url.hostname,
      port: backend.url.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, "x-forwarded-for": forwardedFor, "x-forwarded-proto": "http" },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    backend.downUntil = Date.now() + SKIP_AFTER_FAILURE_MS;
    if (!res.headersSent)
      res
        .writeHead(502, { "content-type": "text/plain" })
        .end(`upstream ${backend.url.host} unavailable: ${error.message}`);
    else res.destroy();
  });
  res.on("close", () => upstream.destroy());
  req.pipe(upstream);
});

server.listen(port, () =>
  console.log(`round-robin proxy on http://localhost:${port} → ${backends.map((b) => b.url.host).join(", ")}`),
);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
