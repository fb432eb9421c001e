import { createSessionFixture, insertUsers } from "@livehall/api/testing";
import { accessTokenFor, post } from "../lib/api";
import { startChild } from "../lib/children";
import { isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { median, round, summarize } from "../lib/stats";
import { SERVER_ENTRIES } from "./heartbeat";

export interface JoinStormOptions {
  users: number;
  /** Storms run and discarded first: the server's JIT settles over the first few (a server that has been up is warm). */
  warmups: number;
  rounds: number;
}

interface StormRound {
  latenciesMs: number[];
  errors: string[];
  wallMs: number;
  activeRows: number;
  rowsForSession: number;
  duplicates: number;
  connections: number;
  /** CPU time the load generator (this process) spent sending the storm and reading its answers. */
  generatorCpuMs: number;
}

/**
 * Every student (one access token each) joins `sessionId` at once, one POST each on their own
 * keep-alive connection; the latencies of the joins answered, and why the others failed.
 */
export async function joinStorm(joinUrl: URL, tokens: string[], sessionId: string) {
  // Built before the first request goes out, so the storm is not spread by its own set-up.
  const calls = tokens.map((token, i) => ({
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ json: { sessionId, connectionId: `bench-tab-${i}` } }),
  }));
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  await Promise.all(
    calls.map(async ({ headers, body }) => {
      const t0 = performance.now();
      try {
        const answer = await post(joinUrl, headers, body);
        if (answer.status !== 200 || !answer.body.includes('"participantCount"'))
          throw new Error(`${answer.status} ${answer.body.slice(0, 200)}`);
        latenciesMs.push(performance.now() - t0);
      } catch (error) {
        errors.push((error as Error).message);
      }
    }),
  );
  return { latenciesMs, errors };
}

/**
 * `users` distinct students (SQL fixtures, each with its own access token and connection) join
 * one live session at the same moment through the real server. `warmups` discarded storms, then
 * `rounds` storms, each into a fresh live session.
 */
export async function joinStormScenario(options: JoinStormOptions, log: (line: string) => void) {
  const iso = await isolated();
  const web = await startChild({ name: "web", entry: SERVER_ENTRIES.web, env: iso.env });
  try {
    const { services } = iso;
    const users = await insertUsers(services, options.users, { emailPrefix: "bench-join" });
    const tokens = await Promise.all(users.map(async (user) => (await accessTokenFor(services, user)).token));
    const joinUrl = new URL("/api/trpc/session.join", web.url);

    const storm = async (label: string): Promise<StormRound> => {
      const { session } = await createSessionFixture(services);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const { latenciesMs, errors } = await joinStorm(joinUrl, tokens, session.id);
      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const generatorCpuMs = (cpu.user + cpu.system) / 1000;
      const [state] = await services.db.$queryRaw<{ active: number; rows: number; duplicates: number }[]>`
        SELECT count(*) FILTER (WHERE "leftAt" IS NULL)::int AS active,
               count(*)::int AS rows,
               (SELECT count(*)::int FROM (
                  SELECT "userId" FROM "SessionParticipant"
                  WHERE "sessionId" = ${session.id}::uuid AND "leftAt" IS NULL
                  GROUP BY "userId" HAVING count(*) > 1) AS d) AS duplicates
        FROM "SessionParticipant" WHERE "sessionId" = ${session.id}::uuid`;
      const connections = await services.redis.zcard(services.keys.presence(session.id));
      const result = {
        latenciesMs,
        errors,
        wallMs,
        activeRows: state!.active,
        rowsForSession: state!.rows,
        duplicates: state!.duplicates,
        connections,
        generatorCpuMs,
      };
      const s = summarize(latenciesMs);
      log(
        `  ${label}: p50 ${s.p50} ms  p99 ${s.p99} ms  all done in ${round(wallMs, 0)} ms  active rows ${result.activeRows}  rows ${result.rowsForSession}  duplicates ${result.duplicates}  connections ${connections}  errors ${errors.length}  load generator CPU ${round(generatorCpuMs, 0)} ms`,
      );
      return result;
    };

    for (let i = 1; i <= options.warmups; i++) await storm(`warm-up ${i}`);
    const rounds: StormRound[] = [];
    for (let i = 1; i <= options.rounds; i++) rounds.push(await storm(`round ${i}`));

    const p50 = median(rounds.map((r) => summarize(r.latenciesMs).p50));
    const p99 = median(rounds.map((r) => summarize(r.latenciesMs).p99));
    const allExact = rounds.every(
      (r) =>
        r.activeRows === options.users &&
        r.rowsForSession === options.users &&
        r.duplicates === 0 &&
        r.errors.length === 0 &&
        r.connections === options.users,
    );
    const rows: Row[] = [
      {
        scenario: `2 join storm (${options.users} users)`,
        metric: "join latency ms",
        median: p50,
        p99,
        baseline: null,
        ratio: null,
        target: "p99 < 250 ms",
        pass: p99 < 250,
      },
      {
        scenario: `2 join storm (${options.users} users)`,
        metric: "active rows / duplicates / errors (every round)",
        median: rounds.map((r) => `${r.activeRows}/${r.duplicates}/${r.errors.length}`).join(", "),
        p99: null,
        baseline: null,
        ratio: null,
        target: `${options.users}/0/0`,
        pass: allExact,
      },
      {
        scenario: `2 join storm (${options.users} users)`,
        metric: "whole storm ms (last answer)",
        median: round(median(rounds.map((r) => r.wallMs)), 0),
        p99: null,
        baseline: null,
        ratio: null,
        target: "report",
        pass: null,
      },
      {
        scenario: `2 join storm (${options.users} users)`,
        metric: "load generator CPU ms per storm (same 2 cores)",
        median: round(median(rounds.map((r) => r.generatorCpuMs)), 0),
        p99: null,
        baseline: null,
        ratio: null,
        target: "report",
        pass: null,
      },
    ];
    return {
      raw: {
        options,
        rounds: rounds.map((r) => ({
          ...r,
          latency: summarize(r.latenciesMs),
          latenciesMs: undefined,
          errors: r.errors.slice(0, 5),
          errorCount: r.errors.length,
        })),
      },
      rows,
    };
  } finally {
    await web.stop();
    await iso.close();
  }
}
