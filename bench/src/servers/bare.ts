/**
 * Baseline "ceiling": a bare node:http server that reads the request and answers 204. Whatever the
 * heartbeat costs above this is work (auth, Redis, framework); this is the loopback + HTTP floor.
 */
import http from "node:http";

const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), "127.0.0.1");

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
