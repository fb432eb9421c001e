/**
 * `npm run bench` — Livehall's benchmarks, each beside its limit, in one run (issue 9). Not part of
 * `npm test`. Options:
 *   --only=1,4     run only these scenarios (1 heartbeat … 6 fan-out, 7 room stream fan-out, 8 one event
 *                  to 10,000 tabs, 9 capacity, 10 class opening)
 *   --profile      instead: profile the heartbeat path with node --cpu-prof and print where time goes
 *                  (--profile=join: the join path, under back-to-back join storms; --profile=fanout:
 *                  one join at a time fanned out to 3,000 room streams of one session)
 *   --build        rebuild the web app for scenario 5 even when it looks fresh; --no-build never builds
 *   --quick        shorter rounds (a smoke run of the bench itself; figures are not for reporting)
 */
import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { BENCH_DIR, ROOT, prepareServices } from "./lib/env";
import { printTable, type Row } from "./lib/report";
import { round } from "./lib/stats";
import { evictionScenario } from "./scenarios/eviction";
import { fanoutScenario } from "./scenarios/fanout";
import { capacityScenario, classOpeningScenario, oneEventScenario } from "./scenarios/big-room";
import { heartbeatScenario } from "./scenarios/heartbeat";
import { joinStormScenario } from "./scenarios/join-storm";
import { printProfile, profileHeartbeat } from "./scenarios/profile";
import { refreshStormScenario } from "./scenarios/refresh-storm";
import { roomFanoutScenario } from "./scenarios/room-fanout";
import { sessionsPageScenario } from "./scenarios/sessions-page";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const only = args
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",")
  .map(Number);
const quick = flag("quick");
const log = (line: string) => console.log(line);

const machine = () => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  loadAverage: loadavg().map((value) => round(value)),
});

async function main(): Promise<number> {
  const startedAt = new Date();
  const atStart = machine();
  console.log(
    `Livehall bench — ${atStart.cpus} CPUs (${atStart.cpuModel}), load average ${atStart.loadAverage.join(" ")} at start, node ${process.version}`,
  );
  await prepareServices();

  const profile = args.find((arg) => arg === "--profile" || arg.startsWith("--profile="));
  if (profile) {
    const workload = profile === "--profile=join" ? "join" : profile === "--profile=fanout" ? "fanout" : "heartbeat";
    console.log(`\n▸ profile: ${workload} through the real server under full load (node --cpu-prof)`);
    const { file, summary } = await profileHeartbeat({ seconds: quick ? 4 : 10, connections: 50, workload }, log);
    console.log(printProfile(summary));
    console.log(`profile: ${path.relative(ROOT, file)} (open in Chrome DevTools or speedscope)`);
    return 0;
  }

  const scenarios: { id: number; title: string; run: () => Promise<{ raw: unknown; rows: Row[] }> }[] = [
    {
      id: 1,
      title: "heartbeat throughput and latency (real server vs minimal-work and bare node:http)",
      run: () => heartbeatScenario({ connections: 50, warmupSeconds: 2, roundSeconds: quick ? 2 : 3, rounds: 3 }, log),
    },
    { id: 2, title: "join storm", run: () => joinStormScenario({ users: 1_000, warmups: 3, rounds: 3 }, log) },
    {
      id: 3,
      title: "refresh storm",
      run: () => refreshStormScenario({ concurrency: 20, repetitions: 50, warmupRepetitions: 5 }, log),
    },
    {
      id: 4,
      title: "eviction sweep",
      run: () => {
        const connections = quick ? 20_000 : 100_000;
        // Warm-up rounds at full size: the first sweep of 100,000 ran 0.2–0.4 s slower than the next.
        return evictionScenario({ connections, warmupConnections: connections, rounds: 3 }, log);
      },
    },
    {
      id: 5,
      title: "/sessions server render and first-load JS",
      run: () =>
        sessionsPageScenario(
          {
            sessions: 500,
            warmupRequests: 20,
            requestsPerRound: quick ? 15 : 40,
            rounds: 3,
            build: flag("build") ? "always" : flag("no-build") ? "never" : "auto",
          },
          log,
        ),
    },
    {
      id: 6,
      title: "event fan-out across two web instances",
      run: () => fanoutScenario({ joins: 500, warmupJoins: 50 }, log),
    },
    {
      id: 7,
      title: "room stream: one chat message to 1,000 tabs of a session across two web instances",
      run: () =>
        roomFanoutScenario({ subscribers: 1_000, messages: quick ? 5 : 20, joins: quick ? 5 : 20, warmup: 3 }, log),
    },
    {
      id: 8,
      title: "big room: one event to 10,000 tabs of one session (raw fan-out vs bare node:http)",
      run: () => oneEventScenario({ subscribers: quick ? 2_000 : 10_000, events: quick ? 3 : 7, processes: 2 }, log),
    },
    {
      id: 9,
      title: "capacity: participants (room stream + 30 s heartbeats) held by one web process, stepped",
      run: async () => {
        const capacity = (sessions: number) =>
          capacityScenario(
            {
              steps: quick ? [1_000, 2_000] : [2_000, 5_000, 10_000, 19_000],
              sessions,
              processes: 2,
              periodMs: quick ? 5_000 : 30_000,
              connections: 256,
              budgetSeconds: quick ? 120 : 600,
            },
            log,
          );
        const many = await capacity(50);
        const one = await capacity(1);
        return { raw: { many: many.raw, one: one.raw }, rows: [...many.rows, ...one.rows] };
      },
    },
    {
      id: 10,
      title: "class opening: 5,000 students join one session within 10 s while all of them are subscribed",
      run: () =>
        classOpeningScenario({ students: quick ? 1_000 : 5_000, spreadMs: quick ? 5_000 : 10_000, processes: 2 }, log),
    },
  ];

  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const timings: Record<string, number> = {};
  let failed = false;
  for (const scenario of scenarios) {
    if (only && !only.includes(scenario.id)) continue;
    console.log(`\n▸ ${scenario.id}. ${scenario.title}`);
    const started = performance.now();
    try {
      const result = await scenario.run();
      rows.push(...result.rows);
      raw[scenario.id] = result.raw;
    } catch (error) {
      failed = true;
      console.error(`  ✖ scenario ${scenario.id} failed: ${(error as Error).stack ?? String(error)}`);
      rows.push({
        scenario: `${scenario.id} ${scenario.title}`,
        metric: "error",
        median: (error as Error).message.slice(0, 60),
        p99: null,
        baseline: null,
        ratio: null,
        target: "runs",
        pass: false,
      });
      raw[scenario.id] = { error: String(error) };
    }
    timings[scenario.id] = round((performance.now() - started) / 1000, 1);
  }

  const atEnd = machine();
  console.log(
    `\nResults (${atStart.cpus} CPUs; load average ${atStart.loadAverage.join(" ")} at start, ${atEnd.loadAverage.join(" ")} at end):`,
  );
  console.log(printTable(rows));
  const results = {
    startedAt: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
    node: process.version,
    commit: gitCommit(),
    quick,
    machine: { ...atStart, loadAverageAtStart: atStart.loadAverage, loadAverageAtEnd: atEnd.loadAverage },
    scenarioSeconds: timings,
    table: rows,
    raw,
  };
  await writeFile(path.join(BENCH_DIR, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote bench/results.json (${results.durationSeconds} s)`);
  return failed ? 1 : 0;
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
  } catch {
    return null;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
