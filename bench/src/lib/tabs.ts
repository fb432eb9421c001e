import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { BENCH_DIR } from "./env";

/** What the parent asks a tabs process (bench/src/load/tabs.ts). */
export type TabsRequest =
  | { type: "open"; base: string; streams: { path: string; token: string }[]; atOnce: number; readyText: string }
  | { type: "arm"; marker: string; timeoutMs: number }
  | { type: "counts" }
  | {
      type: "beats";
      base: string;
      requests: { token: string; body: string }[];
      periodMs: number;
      durationMs: number;
      connections: number;
    }
  | { type: "close" };

export type TabsReply =
  | { type: "opened"; failed: number }
  | { type: "armed" }
  | { type: "arrivals"; times: (number | null)[]; frame: string | null }
  | { type: "counts"; counts: number[]; at: number[] }
  | { type: "beats"; latencies: number[]; failures: number }
  | { type: "closed" };

/** Wall-clock time with sub-millisecond precision, comparable across the bench's processes. */
export const wallNow = () => performance.timeOrigin + performance.now();

class TabsProcess {
  private readonly replies: TabsReply[] = [];
  /** Everyone waiting for a reply: all look again at each one. */
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.on("message", (reply: TabsReply) => {
      this.replies.push(reply);
      for (const wake of [...this.waiters]) wake();
    });
  }

  async ask<T extends TabsReply["type"]>(
    request: TabsRequest | null,
    expect: T,
  ): Promise<Extract<TabsReply, { type: T }>> {
    if (request) this.child.send(request);
    for (;;) {
      const at = this.replies.findIndex((reply) => reply.type === expect);
      if (at >= 0) return this.replies.splice(at, 1)[0] as Extract<TabsReply, { type: T }>;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }
}

/**
 * Browser tabs for the big-room scenarios, held by `processes` load-generator processes (streams
 * dealt round-robin), so the bench process only coordinates.
 */
export async function startTabs(processes: number) {
  const entry = path.join(BENCH_DIR, "src/load/tabs.ts");
  const children = Array.from(
    { length: processes },
    () =>
      new TabsProcess(
        fork(entry, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
      ),
  );
  const deal = <T>(items: T[]) => children.map((_, i) => items.filter((_, j) => j % processes === i));
  return {
    /** Opens the streams; resolves with how many failed to open. */
    async open(base: string, streams: { path: string; token: string }[], readyText: string, atOnce = 200) {
      const replies = await Promise.all(
        deal(streams).map((share, i) =>
          children[i]!.ask({ type: "open", base, streams: share, atOnce, readyText }, "opened"),
        ),
      );
      return replies.reduce((sum, reply) => sum + reply.failed, 0);
    },
    /** Starts watching for `marker`; the returned function resolves with every tab's arrival time (null: never). */
    async arm(marker: string, timeoutMs: number) {
      const arrivals = children.map((child) => child.ask({ type: "arm", marker, timeoutMs }, "arrivals"));
      await Promise.all(children.map((child) => child.ask(null, "armed")));
      return async () => {
        const replies = await Promise.all(arrivals);
        return { times: replies.flatMap((reply) => reply.times), frame: replies.find((r) => r.frame)?.frame ?? null };
      };
    },
    /** The last participant count every tab saw (-1: its stream closed), and when it last changed. */
    async counts() {
      const replies = await Promise.all(children.map((child) => child.ask({ type: "counts" }, "counts")));
      return { counts: replies.flatMap((reply) => reply.counts), at: replies.flatMap((reply) => reply.at) };
    },
    /** Heartbeats for `durationMs` over at most `connections` keep-alive sockets in all. */
    async beats(
      base: string,
      requests: { token: string; body: string }[],
      periodMs: number,
      durationMs: number,
      connections: number,
    ) {
      const replies = await Promise.all(
        deal(requests).map((share, i) =>
          children[i]!.ask(
            {
              type: "beats",
              base,
              requests: share,
              periodMs,
              durationMs,
              connections: Math.floor(connections / processes),
            },
            "beats",
          ),
        ),
      );
      return {
        latencies: replies.flatMap((reply) => reply.latencies),
        failures: replies.reduce((sum, reply) => sum + reply.failures, 0),
      };
    },
    async close() {
      await Promise.all(children.map((child) => child.ask({ type: "close" }, "closed")));
    },
    async stop() {
      for (const { child } of children) child.kill();
      await Promise.all(children.map(({ child }) => (child.exitCode === null ? once(child, "exit") : null)));
    },
  };
}
