/**
 * Baseline for the big-room fan-out: a bare `node:http` server holding event-stream responses and
 * writing the same bytes to every one of them in one loop — the floor of SSE fan-out on this
 * machine. GET /stream opens one; POST /fire writes its body to all; GET /lag answers the event
 * loop's longest delay (ms) since the last call; GET /memory the RSS and heap after a GC.
 */
import http from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";

const open: http.ServerResponse[] = [];
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const HELLO = Buffer.from('data: {"hello":true}\n\n\n');

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stream") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform" });
    res.write(HELLO);
    open.push(res);
    res.once("close", () => open.splice(open.indexOf(res), 1));
    return;
  }
  if (req.method === "POST" && req.url === "/fire") {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const bytes = Buffer.concat(chunks);
      for (const stream of open) stream.write(bytes);
      res.writeHead(204).end();
    });
    return;
  }
  if (req.url === "/lag") {
    const maxMs = lag.max / 1e6;
    lag.reset();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ maxMs }));
    return;
  }
  if (req.url === "/memory") {
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ rss, heapUsed }));
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), "127.0.0.1");

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
