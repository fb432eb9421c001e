/**
 * Baseline "minimal work": a node:http server doing only what a heartbeat must do, with the same
 * libraries Livehall uses — read and parse the JSON body (tRPC's superjson envelope), verify the
 * HS256 access token with jose (the key imported into WebCrypto once, as Livehall does), check the family's revocation key in Redis (EXISTS), and touch the
 * connection with the same Lua script (ZSCORE + ZADD, one write). No framework, no middleware, no
 * logging, no metrics. The gap between this and the real endpoint is Livehall's own overhead.
 */
import { createHmac, webcrypto } from "node:crypto";
import http from "node:http";
import { Redis } from "ioredis";
import { jwtVerify } from "jose";

const prefix = process.env.REDIS_KEY_PREFIX ?? "lh:";
// The same derivation as packages/api/src/auth/tokens.ts (deriveTokenKeys).
const accessKey = await webcrypto.subtle.importKey(
  "raw",
  new Uint8Array(createHmac("sha256", process.env.AUTH_SECRET!).update("livehall:access-jwt").digest()),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["verify"],
);
const heartbeatIntervalMs = 30_000;

const TOUCH_IF_PRESENT = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0`;

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
});
redis.defineCommand("presenceTouch", { numberOfKeys: 1, lua: TOUCH_IF_PRESENT });
const touch = (
  redis as unknown as { presenceTouch(key: string, member: string, now: number): Promise<number> }
).presenceTouch.bind(redis);

function answer(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function heartbeat(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
  const token = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return answer(res, 401, { error: "unauthenticated" });
  let payload;
  try {
    ({ payload } = await jwtVerify(token, accessKey, { algorithms: ["HS256"] }));
  } catch {
    return answer(res, 401, { error: "unauthenticated" });
  }
  const input = (JSON.parse(body) as { json: { sessionId: string; connectionId: string } }).json;
  if ((await redis.exists(`${prefix}auth:revoked:${String(payload.fam)}`)) === 1)
    return answer(res, 401, { error: "revoked" });
  const known =
    (await touch(`${prefix}presence:${input.sessionId}`, `${payload.sub}:${input.connectionId}`, Date.now())) === 1;
  answer(res, 200, { result: { data: { json: { status: known ? "ok" : "rejoin", heartbeatIntervalMs } } } });
}

const server = http.createServer((req, res) => {
  if (req.method === "GET") {
    req.resume();
    res.writeHead(redis.status === "ready" ? 204 : 503);
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    heartbeat(req, Buffer.concat(chunks).toString("utf8"), res).catch(() => answer(res, 500, { error: "internal" }));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), "127.0.0.1");

process.on("SIGTERM", () => {
  server.close(() => {
    redis.disconnect();
    process.exit(0);
  });
  server.closeAllConnections();
});
