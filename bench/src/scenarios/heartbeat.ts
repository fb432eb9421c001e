import path from "node:path";
import { createSessionFixture, insertUsers } from "@livehall/api/testing";
import { startChild, type ChildServer } from "../lib/children";
import { BENCH_DIR, isolated } from "../lib/env";
import { accessTokenFor, clientFor } from "../lib/api";
import { throughputAndLatency, type HttpTarget, type ThroughputProfile } from "../lib/load";
import type { Row } from "../lib/report";
import { round } from "../lib/stats";

export interface HeartbeatOptions {
  connections: number;
  warmupSeconds: number;
  roundSeconds: number;
  rounds: number;
}

export const SERVER_ENTRIES = {
  web: path.join(BENCH_DIR, "src/servers/web.ts"),
  minimal: path.join(BENCH_DIR, "src/servers/minimal.ts"),
  bare: path.join(BENCH_DIR, "src/servers/bare.ts"),
};

/**
 * A student joined to a live session through the real server, and the heartbeat request of that
 * connection (POST /api/trpc/session.heartbeat, Bearer token, superjson body) as the browser's
 * typed client sends it.
 */
export async function heartbeatFixture(
  services: Parameters<typeof createSessionFixture>[0] & Parameters<typeof accessTokenFor>[0],
  webUrl: string,
) {
  const { session } = await createSessionFixture(services);
  const [student] = await insertUsers(services, 1, { emailPrefix: "bench-heartbeat" });
  const access = await accessTokenFor(services, student!);
  const connectionId = "bench-heartbeat-tab";
  await clientFor(webUrl, access).session.join.mutate({ sessionId: session.id, connectionId });
  const request = (url: string): HttpTarget => ({
    url,
    path: "/api/trpc/session.heartbeat",
    method: "POST",
    // What a browser's fetch sends: JSON, the Bearer token, and the encodings it accepts.
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${access.token}`,
      "accept-encoding": "gzip, deflate, br",
    },
    body: JSON.stringify({ json: { sessionId: session.id, connectionId } }),
  });
  return { request, sessionId: session.id };
}

async function expectAnswer(target: HttpTarget, check: (status: number, body: string) => boolean, what: string) {
  const response = await fetch(`${target.url}${target.path}`, {
    method: target.method,
    headers: target.headers,
    body: target.body ?? null,
  });
  const body = await response.text();
  if (!check(response.status, body)) throw new Error(`${what} answered ${response.status} ${body}`);
}

export async function heartbeatScenario(options: HeartbeatOptions, log: (line: string) => void) {
  const iso = await isolated();
  const children: ChildServer[] = [];
  try {
    const start = (name: keyof typeof SERVER_ENTRIES) =>
      startChild({ name, entry: SERVER_ENTRIES[name], env: iso.env, readyPath: name === "web" ? "/readyz" : "/" }).then(
        (child) => {
          children.push(child);
          return child;
        },
      );
    const [web, minimal, bare] = await Promise.all([start("web"), start("minimal"), start("bare")]);
    const { request } = await heartbeatFixture(iso.services, web.url);
    const targets = { web: request(web.url), minimal: request(minimal.url), bare: request(bare.url) };
    const isOk = (status: number, body: string) => status === 200 && body.includes('"status":"ok"');
    await expectAnswer(targets.web, isOk, "the real heartbeat");
    await expectAnswer(targets.minimal, isOk, "the minimal-work baseline");
    await expectAnswer(targets.bare, (status) => status === 204, "the bare baseline");

    const profiles = await throughputAndLatency(
      [
        { name: "web", target: targets.web },
        { name: "minimal", target: targets.minimal },
        { name: "bare", target: targets.bare },
      ],
      options,
      log,
    );
    return { raw: { options, profiles }, rows: heartbeatRows(profiles) };
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
    await iso.close();
  }
}

function heartbeatRows(profiles: Record<string, ThroughputProfile>): Row[] {
  const web = profiles.web!;
  const minimal = profiles.minimal!;
  const bare = profiles.bare!;
  const errors = (profile: ThroughputProfile) =>
    [...profile.maxRounds, ...profile.latencyRounds].reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  const toMinimal = round(web.medianRps / minimal.medianRps);
  return [
    {
      scenario: "1 heartbeat",
      metric: "max throughput (req/s) vs minimal work",
      median: web.medianRps,
      p99: null,
      baseline: minimal.medianRps,
      ratio: toMinimal,
      target: "≥ 0.8× minimal",
      pass: toMinimal >= 0.8 && errors(web) === 0,
    },
    {
      scenario: "1 heartbeat",
      metric: "max throughput (req/s) vs bare node:http",
      median: web.medianRps,
      p99: null,
      baseline: bare.medianRps,
      ratio: round(web.medianRps / bare.medianRps),
      target: "report",
      pass: null,
    },
    {
      scenario: "1 heartbeat",
      metric: `latency ms @ ½ max (${web.halfRate} req/s)`,
      median: web.medianP50,
      p99: web.medianP99,
      baseline: minimal.medianP99,
      ratio: minimal.medianP99 > 0 ? round(web.medianP99 / minimal.medianP99) : null,
      target: "p99 < 25 ms",
      pass: web.medianP99 < 25,
    },
    {
      scenario: "1 baseline minimal",
      metric: `req/s; latency ms @ ${minimal.halfRate} req/s`,
      median: `${minimal.medianRps}; ${minimal.medianP50}`,
      p99: minimal.medianP99,
      baseline: null,
      ratio: null,
      target: "(baseline)",
      pass: null,
    },
    {
      scenario: "1 baseline bare",
      metric: `req/s; latency ms @ ${bare.halfRate} req/s`,
      median: `${bare.medianRps}; ${bare.medianP50}`,
      p99: bare.medianP99,
      baseline: null,
      ratio: null,
      target: "(baseline)",
      pass: null,
    },
  ];
}
