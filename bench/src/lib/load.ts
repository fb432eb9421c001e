import autocannon from "autocannon";
import { median, round } from "./stats";

/** One HTTP request repeated by the load generator. */
export interface HttpTarget {
  url: string;
  path: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

export interface LoadRound {
  /** Successful (2xx) answers per second over the round. */
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections; unset = as fast as the server answers. */
  overallRate?: number;
}

/** One autocannon run (in this process; the servers run in child processes). */
export async function load(target: HttpTarget, options: LoadOptions): Promise<LoadRound> {
  const result = await autocannon({
    url: target.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: target.method,
        path: target.path,
        headers: target.headers,
        ...(target.body ? { body: target.body } : {}),
      },
    ],
  });
  const ok = result["2xx"];
  return {
    rps: round(ok / options.durationSeconds, 0),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: round(result.latency.mean),
      max: result.latency.max,
    },
  };
}

export interface ThroughputProfile {
  maxRounds: LoadRound[];
  /** The rate used for the latency rounds: half of the median max throughput. */
  halfRate: number;
  latencyRounds: LoadRound[];
  medianRps: number;
  medianP50: number;
  medianP99: number;
}

export interface ServerUnderLoad {
  name: string;
  target: HttpTarget;
}

/**
 * For each server: a discarded warm-up, then `rounds` rounds at full speed (max throughput), then
 * `rounds` rounds at half of that server's median max (latency). Rounds are interleaved across the
 * servers (web, minimal, bare, web, …), so a change in background load hits every server alike.
 */
export async function throughputAndLatency(
  servers: ServerUnderLoad[],
  options: { connections: number; warmupSeconds: number; roundSeconds: number; rounds: number },
  log: (line: string) => void,
): Promise<Record<string, ThroughputProfile>> {
  const maxRounds: Record<string, LoadRound[]> = {};
  const latencyRounds: Record<string, LoadRound[]> = {};
  for (const server of servers) {
    await load(server.target, { connections: options.connections, durationSeconds: options.warmupSeconds });
    maxRounds[server.name] = [];
    latencyRounds[server.name] = [];
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const server of servers) {
      const result = await load(server.target, {
        connections: options.connections,
        durationSeconds: options.roundSeconds,
      });
      maxRounds[server.name]!.push(result);
      log(
        `  max   round ${round} ${server.name.padEnd(8)} ${String(result.rps).padStart(6)} req/s  p99 ${result.latencyMs.p99} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
      );
    }
  }
  const halfRate: Record<string, number> = {};
  for (const server of servers)
    halfRate[server.name] = Math.max(1, Math.round(median(maxRounds[server.name]!.map((r) => r.rps)) / 2));
  for (let round = 1; round <= options.rounds; round++) {
    for (const server of servers) {
      const result = await load(server.target, {
        connections: options.connections,
        durationSeconds: options.roundSeconds,
        overallRate: halfRate[server.name]!,
      });
      latencyRounds[server.name]!.push(result);
      log(
        `  ½max  round ${round} ${server.name.padEnd(8)} ${String(result.rps).padStart(6)} req/s  p50 ${result.latencyMs.p50} ms  p99 ${result.latencyMs.p99} ms`,
      );
    }
  }
  const profiles: Record<string, ThroughputProfile> = {};
  for (const server of servers) {
    const latency = latencyRounds[server.name]!;
    profiles[server.name] = {
      maxRounds: maxRounds[server.name]!,
      halfRate: halfRate[server.name]!,
      latencyRounds: latency,
      medianRps: median(maxRounds[server.name]!.map((r) => r.rps)),
      medianP50: median(latency.map((r) => r.latencyMs.p50)),
      medianP99: median(latency.map((r) => r.latencyMs.p99)),
    };
  }
  return profiles;
}
