/**
 * A load-generator process (forked by bench/src/lib/tabs.ts): it holds thousands of SSE streams —
 * one socket each, as one browser tab — and sends heartbeats over a small keep-alive pool, so the
 * streams, the heartbeats and the parent's bookkeeping never share one event loop. Plain `node:http`
 * (no EventSource or typed client): at 10,000 streams per machine their per-stream cost would
 * dominate the generator.
 *
 * Messages from the parent: `open`, `arm` (time when a marker reaches every stream), `counts` (the
 * last participant count every stream saw), `beats` (heartbeats for a while), `close`.
 */
import http from "node:http";
import type { TabsReply, TabsRequest } from "../lib/tabs";

const now = () => performance.timeOrigin + performance.now();

interface Stream {
  req: http.ClientRequest;
  /** The last characters received (a marker may span two chunks). */
  tail: string;
  /** When the armed marker arrived (epoch ms), or 0. */
  arrivedAt: number;
  count: number;
  countAt: number;
  closed: boolean;
}

const streams: Stream[] = [];
let marker: string | null = null;
let markerFrame: string | null = null;
let waiting = 0;
let onAllArrived: (() => void) | null = null;
const COUNT = /"participantCount":(\d+)/g;

function send(reply: TabsReply): void {
  process.send!(reply);
}

function onChunk(stream: Stream, chunk: string): void {
  const text = stream.tail + chunk;
  if (marker && stream.arrivedAt === 0 && text.includes(marker)) {
    stream.arrivedAt = now();
    if (markerFrame === null) {
      const at = text.indexOf(marker);
      markerFrame = text.slice(text.lastIndexOf("data: ", at), text.indexOf("\n\n", at) + 3);
    }
    if (--waiting === 0) onAllArrived?.();
  }
  let last: RegExpExecArray | null = null;
  for (let match = COUNT.exec(text); match; match = COUNT.exec(text)) last = match;
  if (last) {
    const count = Number(last[1]);
    if (count !== stream.count) {
      stream.count = count;
      stream.countAt = now();
    }
  }
  stream.tail = text.slice(-80);
}

function open(
  base: string,
  paths: { path: string; token: string }[],
  atOnce: number,
  readyText: string,
): Promise<number> {
  const url = new URL(base);
  let failed = 0;
  const openOne = ({ path, token }: { path: string; token: string }) =>
    new Promise<void>((resolve) => {
      const stream: Stream = {
        req: undefined as unknown as http.ClientRequest,
        tail: "",
        arrivedAt: 0,
        count: -1,
        countAt: 0,
        closed: false,
      };
      stream.req = http.get(
        {
          host: url.hostname,
          port: url.port,
          path,
          agent: false,
          headers: { accept: "text/event-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          res.setEncoding("utf8");
          let first = true;
          res.on("data", (chunk: string) => {
            const seen = stream.tail + chunk;
            onChunk(stream, chunk);
            // Open once the first event (a snapshot, or the bare server's hello) is in.
            if (first && seen.includes(readyText)) {
              first = false;
              resolve();
            }
          });
          res.on("close", () => {
            stream.closed = true;
            if (first) {
              failed++;
              resolve();
            }
          });
        },
      );
      stream.req.on("error", () => {
        stream.closed = true;
        failed++;
        resolve();
      });
      streams.push(stream);
    });
  return (async () => {
    for (let i = 0; i < paths.length; i += atOnce) await Promise.all(paths.slice(i, i + atOnce).map(openOne));
    return failed;
  })();
}

async function arm(value: string, timeoutMs: number): Promise<TabsReply> {
  marker = value;
  markerFrame = null;
  for (const stream of streams) stream.arrivedAt = 0;
  waiting = streams.filter((stream) => !stream.closed).length;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    onAllArrived = () => {
      clearTimeout(timer);
      resolve();
    };
    send({ type: "armed" });
  });
  onAllArrived = null;
  marker = null;
  return {
    type: "arrivals",
    times: streams.map((stream) => (stream.arrivedAt === 0 ? null : stream.arrivedAt)),
    frame: markerFrame,
  };
}

/** Heartbeats for `durationMs`, each tab once per `periodMs`, spread evenly, over at most `connections` sockets. */
async function beats(
  base: string,
  requests: { token: string; body: string }[],
  periodMs: number,
  durationMs: number,
  connections: number,
): Promise<TabsReply> {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let failures = 0;
  const beat = ({ token, body }: { token: string; body: string }) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: "/api/trpc/session.heartbeat?batch=1",
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => {
            latencies.push(performance.now() - started);
            if (res.statusCode !== 200 || !text.includes('"status":"ok"')) failures++;
            resolve();
          });
        },
      );
      req.on("error", () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  const pending: Promise<void>[] = [];
  const gap = periodMs / Math.max(requests.length, 1);
  for (let i = 0; performance.now() - started < durationMs; i++) {
    const due = started + i * gap;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(beat(requests[i % requests.length]!));
  }
  await Promise.all(pending);
  agent.destroy();
  return { type: "beats", latencies, failures };
}

process.on("message", (message: TabsRequest) => {
  void (async () => {
    switch (message.type) {
      case "open":
        send({ type: "opened", failed: await open(message.base, message.streams, message.atOnce, message.readyText) });
        return;
      case "arm":
        send(await arm(message.marker, message.timeoutMs));
        return;
      case "counts":
        send({
          type: "counts",
          counts: streams.map((stream) => (stream.closed ? -1 : stream.count)),
          at: streams.map((stream) => stream.countAt),
        });
        return;
      case "beats":
        send(await beats(message.base, message.requests, message.periodMs, message.durationMs, message.connections));
        return;
      case "close":
        for (const stream of streams) stream.req.destroy();
        streams.length = 0;
        send({ type: "closed" });
        return;
    }
  })();
});
