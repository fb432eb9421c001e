import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createSessionFixture, enrollUsers, insertUsers } from "@livehall/api/testing";
import { freePort } from "@livehall/testing";
import superjson from "superjson";
import { accessTokenFor, post } from "../lib/api";
import { startChild, type ChildServer } from "../lib/children";
import { BENCH_DIR, isolated, type Isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { round, summarize } from "../lib/stats";
import { startTabs, wallNow } from "../lib/tabs";
import { SERVER_ENTRIES } from "./heartbeat";

const SSE_BARE = path.join(BENCH_DIR, "src/servers/sse-bare.ts");
export const SNAPSHOT_READY = '"type":"snapshot"';
const EVENT_TIMEOUT_MS = 30_000;

/** A real web server child with its /metrics port known and `--expose-gc` (SIGUSR2 collects). */
async function startWeb(env: Record<string, string>): Promise<ChildServer & { metrics: string }> {
  const metricsPort = await freePort();
  const child = await startChild({
    name: "web",
    entry: SERVER_ENTRIES.web,
    env,
    nodeArgs: ["--expose-gc"],
    metricsPort,
  });
  return { ...child, metrics: `http://127.0.0.1:${metricsPort}/metrics` };
}

async function scrape(metrics: string): Promise<Map<string, number>> {
  const text = await (await fetch(metrics)).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(livehall_web_[a-z_]+)(?:\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

/** The server's RSS and live heap (bytes) after a full GC. */
async function webMemory(web: ChildServer & { metrics: string }) {
  process.kill(web.pid, "SIGUSR2");
  await sleep(1_000);
  const values = await scrape(web.metrics);
  return {
    rss: values.get("livehall_web_process_resident_memory_bytes") ?? Number.NaN,
    heap: values.get("livehall_web_nodejs_heap_size_used_bytes") ?? Number.NaN,
  };
}

/** The longest event-loop delay (ms) since the previous call (prom-client resets it on every scrape). */
async function webLag(web: ChildServer & { metrics: string }) {
  return round((await scrape(web.metrics)).get("livehall_web_nodejs_eventloop_lag_max_seconds")! * 1000, 1);
}

/** A room stream's URL as the browser's bundle opens it (asking for count-only updates). */
export const roomPath = (sessionId: string) =>
  `/api/trpc/session.onRoom?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ sessionId, counts: true })))}`;

/** `count` students enrolled in a fresh live session's course, each with an access token. */
export async function students(iso: Isolated, count: number) {
  const { session, course } = await createSessionFixture(iso.services);
  const users = await insertUsers(iso.services, count, { emailPrefix: `bench-big-${session.id.slice(0, 8)}` });
  await enrollUsers(iso.services, course.id, users);
  const tokens = await Promise.all(users.map((user) => accessTokenFor(iso.services, user)));
  return { sessionId: session.id, users, tokens: tokens.map((token) => token.token) };
}

/** A student's join, as the browser's typed client sends it to the hot path. */
export async function joinAs(base: string, token: string, sessionId: string, connectionId: string): Promise<void> {
  await roomCall(base, "session.join", token, sessionId, connectionId);
}

async function roomCall(
  base: string,
  procedure: "session.join" | "session.heartbeat",
  token: string,
  sessionId: string,
  connectionId: string,
): Promise<void> {
  const answer = await post(
    new URL(`/api/trpc/${procedure}`, base),
    { "content-type": "application/json", authorization: `Bearer ${token}` },
    JSON.stringify(superjson.serialize({ sessionId, connectionId })),
  );
  if (answer.status !== 200) throw new Error(`${procedure} answered ${answer.status}`);
}

export interface OneEventOptions {
  subscribers: number;
  events: number;
  processes: number;
}

/**
 * One event to `subscribers` tabs of one session on one web process (issue 23): each tab is a
 * session.onRoom stream (the raw fan-out), held by `processes` load-generator processes; a student
 * joins and the `participants` event's arrival is timed on every tab (sent → arrived, wall clock
 * across processes). The server's event-loop delay over each event comes from its own /metrics, and
 * its RSS and live heap (after a GC) per open stream from before and after opening them. Baseline, in
 * the same run: a bare node:http server holding as many event-stream responses and writing the same
 * bytes (the real event's frame, captured by a tab) to each in one loop.
 */
export async function oneEventScenario(options: OneEventOptions, log: (line: string) => void) {
  const iso = await isolated();
  const tabs = await startTabs(options.processes);
  let web: (ChildServer & { metrics: string }) | null = null;
  let bare: ChildServer | null = null;
  try {
    const room = await students(iso, options.subscribers + options.events);
    const watchers = room.tokens.slice(0, options.subscribers);
    web = await startWeb(iso.env);
    const before = await webMemory(web);
    const openedAt = performance.now();
    const failed = await tabs.open(
      web.url,
      watchers.map((token) => ({ path: roomPath(room.sessionId), token })),
      SNAPSHOT_READY,
    );
    const openSeconds = round((performance.now() - openedAt) / 1000, 1);
    const after = await webMemory(web);
    const heapPerStream = round((after.heap - before.heap) / options.subscribers / 1024, 1);
    const rssPerStream = round((after.rss - before.rss) / options.subscribers / 1024, 1);
    log(`  ${options.subscribers - failed} streams open in ${openSeconds} s (${failed} failed)`);
    log(`  per stream: live heap ${heapPerStream} kB, RSS ${rssPerStream} kB`);

    const realMs: number[] = [];
    const realLag: number[] = [];
    let realMissed = 0;
    let frame: string | null = null;
    for (let i = 0; i < options.events; i++) {
      const joiner = room.users[options.subscribers + i]!;
      const arrivals = await tabs.arm(joiner.id, EVENT_TIMEOUT_MS);
      await webLag(web);
      const t0 = wallNow();
      const answer = await fetch(`${web.url}/api/trpc/session.join`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${room.tokens[options.subscribers + i]}`,
        },
        body: JSON.stringify(superjson.serialize({ sessionId: room.sessionId, connectionId: `bench-big-${i}-join` })),
      });
      if (!answer.ok) throw new Error(`join answered ${answer.status}`);
      const { times, frame: seen } = await arrivals();
      realLag.push(await webLag(web));
      frame ??= seen;
      realMs.push(...times.filter((at): at is number => at !== null).map((at) => at - t0));
      realMissed += times.filter((at) => at === null).length;
    }
    await tabs.close();
    await web.stop();
    web = null;
    if (!frame) throw new Error("no tab captured the event's frame");

    // The baseline: the same bytes (the marker swapped for one of the same length) to as many responses.
    bare = await startChild({
      name: "sse bare",
      entry: SSE_BARE,
      env: iso.env,
      readyPath: "/lag",
      nodeArgs: ["--expose-gc"],
    });
    const bareBefore = (await (await fetch(`${bare.url}/memory`)).json()) as { rss: number; heapUsed: number };
    const bareFailed = await tabs.open(
      bare.url,
      watchers.map(() => ({ path: "/stream", token: "" })),
      "hello",
    );
    const bareAfter = (await (await fetch(`${bare.url}/memory`)).json()) as { rss: number; heapUsed: number };
    const bareMs: number[] = [];
    const bareLag: number[] = [];
    let bareMissed = 0;
    const joinerId = frame.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)?.[0];
    for (let i = 0; i < options.events; i++) {
      const marker = `bare${String(i).padStart(4, "0")}-0000-4000-8000-000000000000`.slice(0, 36);
      const bytes = joinerId ? frame.split(joinerId).join(marker) : `${frame}${marker}`;
      const arrivals = await tabs.arm(marker, EVENT_TIMEOUT_MS);
      await fetch(`${bare.url}/lag`).then((response) => response.json());
      const t0 = wallNow();
      await fetch(`${bare.url}/fire`, { method: "POST", body: bytes });
      const { times } = await arrivals();
      bareLag.push(((await (await fetch(`${bare.url}/lag`)).json()) as { maxMs: number }).maxMs);
      bareMs.push(...times.filter((at): at is number => at !== null).map((at) => at - t0));
      bareMissed += times.filter((at) => at === null).length;
    }
    await tabs.close();

    const real = summarize(realMs);
    const base = summarize(bareMs);
    const lagReal = Math.max(...realLag);
    const lagBare = Math.max(...bareLag);
    const bareHeap = round((bareAfter.heapUsed - bareBefore.heapUsed) / options.subscribers / 1024, 1);
    const bareRss = round((bareAfter.rss - bareBefore.rss) / options.subscribers / 1024, 1);
    log(`  real: p50 ${real.p50} ms p99 ${real.p99} ms, lag ≤ ${lagReal} ms, missed ${realMissed}`);
    log(
      `  bare: p50 ${base.p50} ms p99 ${base.p99} ms, lag ≤ ${lagBare} ms, missed ${bareMissed} (${bareFailed} failed to open)`,
    );
    const scenario = `8 one event → ${options.subscribers} tabs of one session`;
    const ratio = base.p99 > 0 ? round(real.p99 / base.p99) : null;
    const rows: Row[] = [
      {
        scenario,
        metric: "join sent → participants event on every tab, ms (vs bare node:http)",
        median: real.p50,
        p99: real.p99,
        baseline: base.p99,
        ratio,
        target: "p99 < 500 ms, ≤ 2× bare, none missed",
        pass: real.p99 < 500 && ratio !== null && ratio <= 2 && realMissed === 0,
      },
      {
        scenario,
        metric: "server event-loop delay per event, max ms (vs bare)",
        median: round(realLag.sort((a, b) => a - b)[Math.floor(realLag.length / 2)]!, 1),
        p99: lagReal,
        baseline: lagBare,
        ratio: lagBare > 0 ? round(lagReal / lagBare) : null,
        target: "< 100 ms",
        pass: lagReal < 100,
      },
      {
        scenario,
        metric: "per open stream: live heap kB; RSS kB (vs bare)",
        median: `${heapPerStream}; ${rssPerStream}`,
        p99: null,
        baseline: `${bareHeap}; ${bareRss}`,
        ratio: bareRss > 0 ? round(rssPerStream / bareRss) : null,
        target: "heap < 30 kB",
        pass: heapPerStream < 30,
      },
      {
        scenario,
        metric: "seconds to open every stream (snapshots)",
        median: openSeconds,
        p99: null,
        baseline: null,
        ratio: null,
        target: "report",
        pass: null,
      },
    ];
    return {
      raw: { options, real, bare: base, realLag, bareLag, realMissed, bareMissed, failed, bareFailed, before, after },
      rows,
    };
  } finally {
    await tabs.stop();
    await Promise.allSettled([web?.stop(), bare?.stop()]);
    await iso.close();
  }
}

export interface CapacityOptions {
  /** Open streams (each a joined participant beating every 30 s) at each step. */
  steps: number[];
  sessions: number;
  processes: number;
  /** Heartbeat period and how long each step's steady state is measured (one period: every tab beats once). */
  periodMs: number;
  /** Keep-alive connections the heartbeats share, over all load-generator processes. */
  connections: number;
  /** Stop stepping once this much time has gone (the machine's limits, not the product's, then decide). */
  budgetSeconds: number;
}

/**
 * Capacity (issue 23): participants held by one web process — each joined, with one room stream
 * (the raw fan-out) and a heartbeat every 30 s, the heartbeats sharing at most `connections`
 * keep-alive connections — stepped up to the largest step the file-descriptor limit and the time
 * budget allow, in `sessions` sessions. Every participant joins first (joins are scenario 2's
 * subject; joining into open streams is the class opening's), then each step opens more streams and
 * measures one heartbeat period at steady state: heartbeat latency, and the server's RSS and live
 * heap (after a GC) per participant over the same server with everyone joined and beating but no
 * stream open. Baseline, in the same run: that server's heartbeat latency.
 */
export async function capacityScenario(options: CapacityOptions, log: (line: string) => void) {
  const iso = await isolated();
  const tabs = await startTabs(options.processes);
  let web: (ChildServer & { metrics: string }) | null = null;
  const started = performance.now();
  const label = options.sessions === 1 ? "one session" : `${options.sessions} sessions`;
  try {
    const total = Math.max(...options.steps);
    const perSession = Math.ceil(total / options.sessions);
    const rooms = [];
    for (let s = 0; s < options.sessions; s++)
      rooms.push(await students(iso, Math.min(perSession, total - s * perSession)));
    const participants = rooms.flatMap((room) =>
      room.tokens.map((token, i) => ({ sessionId: room.sessionId, token, connectionId: `bench-cap-${i}-tab` })),
    );
    web = await startWeb(iso.env);
    const beat = (p: (typeof participants)[number]) => ({
      token: p.token,
      body: JSON.stringify({ 0: superjson.serialize({ sessionId: p.sessionId, connectionId: p.connectionId }) }),
    });
    // Every participant joins (over the heartbeats' connection budget, 100 at a time).
    const joinedAt = performance.now();
    for (let i = 0; i < participants.length; i += 100) {
      await Promise.all(
        participants.slice(i, i + 100).map((p) => joinAs(web!.url, p.token, p.sessionId, p.connectionId)),
      );
    }
    log(`  ${participants.length} joined in ${round((performance.now() - joinedAt) / 1000, 1)} s (${label})`);
    // Baseline: one heartbeat period with no stream open.
    const baseline = await tabs.beats(
      web.url,
      participants.map(beat),
      options.periodMs,
      options.periodMs,
      options.connections,
    );
    const base = summarize(baseline.latencies);
    log(`  baseline, no streams: heartbeat p50 ${base.p50} ms p99 ${base.p99} ms, ${baseline.failures} failed`);
    // Memory per participant is what their stream adds: measured from here (everyone joined and beating).
    const idle = await webMemory(web);

    const steps: Record<string, unknown>[] = [];
    const rows: Row[] = [];
    let open = 0;
    for (const step of options.steps) {
      if ((performance.now() - started) / 1000 > options.budgetSeconds) {
        log(`  stopped before ${step}: the time budget (${options.budgetSeconds} s) is spent`);
        break;
      }
      const adding = participants.slice(open, step);
      const failed = await tabs.open(
        web.url,
        adding.map((p) => ({ path: roomPath(p.sessionId), token: p.token })),
        SNAPSHOT_READY,
      );
      open = step;
      const held = participants.slice(0, step);
      const beats = await tabs.beats(web.url, held.map(beat), options.periodMs, options.periodMs, options.connections);
      const memory = await webMemory(web);
      const heartbeat = summarize(beats.latencies);
      const heap = round((memory.heap - idle.heap) / step / 1024, 1);
      const rss = round((memory.rss - idle.rss) / step / 1024, 1);
      log(
        `  ${step} participants: ${failed} streams failed; heartbeat p50 ${heartbeat.p50} ms p99 ${heartbeat.p99} ms (${beats.failures} failed); per participant heap ${heap} kB RSS ${rss} kB; RSS ${round(memory.rss / 2 ** 20)} MiB`,
      );
      steps.push({ step, failed, heartbeat, heartbeatFailures: beats.failures, memory, heap, rss });
      rows.push({
        scenario: `9 capacity, ${label}`,
        metric: `${step} participants: heartbeat ms (vs no streams); heap; RSS kB each`,
        median: `${heartbeat.p50}; ${heap}; ${rss}`,
        p99: heartbeat.p99,
        baseline: base.p99,
        ratio: base.p99 > 0 ? round(heartbeat.p99 / base.p99) : null,
        target: "p99 < 50 ms, heap < 30 kB, none failed",
        pass: heartbeat.p99 < 50 && heap < 30 && failed === 0 && beats.failures === 0,
      });
      if (failed > 0) break;
    }
    await tabs.close();
    return { raw: { options, idle, baseline: base, steps }, rows };
  } finally {
    await tabs.stop();
    await web?.stop();
    await iso.close();
  }
}

export interface ClassOpeningOptions {
  students: number;
  /** The joins are spread evenly over this long. */
  spreadMs: number;
  processes: number;
}

/** After its join, each student beats once at a random moment up to this long after the last join is sent. */
const CLASS_BEAT_TAIL_MS = 2_000;

/**
 * Joins `tokens` into `sessionId`, evenly spread over `spreadMs`; each student, once in, heartbeats
 * once at a random moment before the storm is over. Per join and heartbeat latency, and when the last
 * join answered.
 */
async function joinSpread(base: string, tokens: string[], sessionId: string, spreadMs: number) {
  const started = performance.now();
  const latencies: number[] = [];
  const beats: number[] = [];
  let failures = 0;
  let beatFailures = 0;
  let lastAnsweredAt = 0;
  // This process's own delay: a latency measured here includes it.
  const ownDelay = monitorEventLoopDelay({ resolution: 10 });
  ownDelay.enable();
  const timed = async (call: () => Promise<void>, into: number[]) => {
    const sent = performance.now();
    await call();
    into.push(performance.now() - sent);
  };
  await Promise.all(
    tokens.map(async (token, i) => {
      await sleep((i * spreadMs) / tokens.length);
      const connectionId = `bench-class-${i}-tab`;
      try {
        await timed(() => joinAs(base, token, sessionId, connectionId), latencies);
        lastAnsweredAt = Math.max(lastAnsweredAt, wallNow());
      } catch {
        failures++;
        return;
      }
      await sleep(Math.random() * (started + spreadMs + CLASS_BEAT_TAIL_MS - performance.now()));
      await timed(() => roomCall(base, "session.heartbeat", token, sessionId, connectionId), beats).catch(
        () => beatFailures++,
      );
    }),
  );
  ownDelay.disable();
  return {
    latencies,
    failures,
    beats,
    beatFailures,
    lastAnsweredAt,
    generatorDelayMs: round(ownDelay.max / 1e6, 1),
    seconds: round((performance.now() - started) / 1000, 1),
  };
}

/**
 * Class opening (issue 23): `students` join one session within `spreadMs` while every one of them
 * already has the room open (a stream each, not yet joined). Figures: how long after the last join
 * every tab shows the exact participant count (the last `participantCount` each tab received), the
 * join latency, and whether every student ended with an active row. Baseline, in the same run: the
 * same joins into another session with no tab open.
 */
export async function classOpeningScenario(options: ClassOpeningOptions, log: (line: string) => void) {
  const iso = await isolated();
  const tabs = await startTabs(options.processes);
  let web: (ChildServer & { metrics: string }) | null = null;
  try {
    const quiet = await students(iso, options.students);
    const room = await students(iso, options.students);
    web = await startWeb(iso.env);
    await webLag(web);
    const base = await joinSpread(web.url, quiet.tokens, quiet.sessionId, options.spreadMs);
    const quietLag = await webLag(web);
    const failed = await tabs.open(
      web.url,
      room.tokens.map((token) => ({ path: roomPath(room.sessionId), token })),
      SNAPSHOT_READY,
    );
    log(`  ${options.students - failed} tabs open; baseline joins (no tab open) done in ${base.seconds} s`);
    await webLag(web);
    const joins = await joinSpread(web.url, room.tokens, room.sessionId, options.spreadMs);
    const loopDelay = await webLag(web);
    // The exact count is the active rows (a failed join is not in the room); a tab converged once
    // its last count is that, and when it last changed is when it got there.
    const active = await iso.services.db.sessionParticipant.count({
      where: { sessionId: room.sessionId, leftAt: null },
    });
    let converged = 0;
    let at: number[] = [];
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline) {
      const counts = await tabs.counts();
      converged = counts.counts.filter((count) => count === active).length;
      at = counts.at;
      if (converged === options.students) break;
      await sleep(500);
    }
    const lag = at.map((when) => Math.max(0, when - joins.lastAnsweredAt));
    const convergence = summarize(lag);
    const withSubscribers = summarize(joins.latencies);
    const quietJoins = summarize(base.latencies);
    const beats = summarize(joins.beats);
    const quietBeats = summarize(base.beats);
    log(
      `  joins in ${joins.seconds} s: p50 ${withSubscribers.p50} ms p99 ${withSubscribers.p99} ms (no tabs: p99 ${quietJoins.p99} ms); ${converged}/${options.students} tabs exact, the last ${convergence.max} ms after the last join; ${active} active rows`,
    );
    log(
      `  heartbeats during it: p50 ${beats.p50} ms p99 ${beats.p99} ms max ${beats.max} ms, ${joins.beatFailures} failed (no tabs: max ${quietBeats.max} ms); event-loop delay ≤ ${loopDelay} ms (no tabs: ${quietLag} ms); the load generator's own ≤ ${joins.generatorDelayMs} ms (no tabs: ${base.generatorDelayMs} ms)`,
    );
    await tabs.close();
    const scenario = `10 class opening (${options.students} joins in ${options.spreadMs / 1000} s, all subscribed)`;
    const rows: Row[] = [
      {
        scenario,
        metric: "every tab shows the exact count, ms after the last join",
        median: convergence.p50,
        p99: convergence.max,
        baseline: null,
        ratio: null,
        target: "all tabs, ≤ 2,000 ms",
        pass: converged === options.students && convergence.max <= 2_000,
      },
      {
        scenario,
        metric: "join latency ms (vs the same joins with no tab open)",
        median: withSubscribers.p50,
        p99: withSubscribers.p99,
        baseline: quietJoins.p99,
        ratio: quietJoins.p99 > 0 ? round(withSubscribers.p99 / quietJoins.p99) : null,
        target: "< 1,000 ms, none failed",
        pass: withSubscribers.p99 < 1_000 && joins.failures === 0,
      },
      {
        scenario,
        metric: "heartbeats during the opening, ms (vs the same with no tab open)",
        median: beats.p50,
        p99: beats.max,
        baseline: quietBeats.max,
        ratio: quietBeats.max > 0 ? round(beats.max / quietBeats.max) : null,
        target: "none over 1,000 ms, none failed",
        pass: beats.max <= 1_000 && joins.beatFailures === 0,
      },
      {
        scenario,
        metric: "server event-loop delay during the joins, max ms (vs no tab open)",
        median: null,
        p99: loopDelay,
        baseline: quietLag,
        ratio: quietLag > 0 ? round(loopDelay / quietLag) : null,
        target: "report",
        pass: null,
      },
      {
        scenario,
        metric: "the joining process's own event-loop delay, max ms (vs no tab open)",
        median: null,
        p99: joins.generatorDelayMs,
        baseline: base.generatorDelayMs,
        ratio: base.generatorDelayMs > 0 ? round(joins.generatorDelayMs / base.generatorDelayMs) : null,
        target: "report",
        pass: null,
      },
      {
        scenario,
        metric: "active rows / failed joins / tabs failed to open",
        median: `${active}/${joins.failures}/${failed}`,
        p99: null,
        baseline: null,
        ratio: null,
        target: `${options.students}/0/0`,
        pass: active === options.students && joins.failures === 0 && failed === 0,
      },
    ];
    return {
      raw: {
        options,
        convergence,
        joins: withSubscribers,
        baseline: quietJoins,
        beats,
        quietBeats,
        loopDelay,
        quietLag,
        converged,
        active,
      },
      rows,
    };
  } finally {
    await tabs.stop();
    await web?.stop();
    await iso.close();
  }
}
