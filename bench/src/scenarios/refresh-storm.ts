import { hashPassword, insertUsers } from "@livehall/api/testing";
import { clientFor } from "../lib/api";
import { startChild } from "../lib/children";
import { isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { summarize } from "../lib/stats";
import { SERVER_ENTRIES } from "./heartbeat";

export interface RefreshStormOptions {
  concurrency: number;
  repetitions: number;
  warmupRepetitions: number;
}

const PASSWORD = "bench refresh storm password";

/**
 * One sign-in (a real login through the API, delivery "body"); then, `repetitions` times, the same
 * refresh token is presented by `concurrency` callers at once (tabs, each with its own client, so
 * nothing is batched). Every caller must succeed and all must converge on the same new refresh
 * token, which the next repetition presents.
 */
export async function refreshStormScenario(options: RefreshStormOptions, log: (line: string) => void) {
  const iso = await isolated();
  const web = await startChild({ name: "web", entry: SERVER_ENTRIES.web, env: iso.env });
  try {
    const [user] = await insertUsers(iso.services, 1, {
      emailPrefix: "bench-refresh",
      passwordHash: await hashPassword(PASSWORD),
    });
    const login = await clientFor(web.url).auth.login.mutate({
      email: user!.email,
      password: PASSWORD,
      delivery: "body",
    });
    let refreshToken = login.tokens!.refreshToken;
    const tabs = Array.from({ length: options.concurrency }, () => clientFor(web.url));

    const latenciesMs: number[] = [];
    let calls = 0;
    let succeeded = 0;
    let diverged = 0;
    const failures: string[] = [];
    for (let repetition = 0; repetition < options.warmupRepetitions + options.repetitions; repetition++) {
      const measured = repetition >= options.warmupRepetitions;
      const presented = refreshToken;
      const answers = await Promise.all(
        tabs.map(async (tab) => {
          const t0 = performance.now();
          try {
            const answer = await tab.auth.refresh.mutate({ refreshToken: presented, delivery: "body" });
            return { ok: true as const, ms: performance.now() - t0, token: answer.tokens!.refreshToken };
          } catch (error) {
            return { ok: false as const, ms: performance.now() - t0, error: (error as Error).message };
          }
        }),
      );
      const tokens = new Set(answers.flatMap((answer) => (answer.ok ? [answer.token] : [])));
      if (measured) {
        calls += answers.length;
        succeeded += answers.filter((answer) => answer.ok).length;
        latenciesMs.push(...answers.map((answer) => answer.ms));
        if (tokens.size !== 1) diverged++;
        failures.push(...answers.flatMap((answer) => (answer.ok ? [] : [answer.error])));
      }
      const [next] = tokens;
      if (!next)
        throw new Error(`refresh storm: every caller failed (${answers.map((a) => (a.ok ? "" : a.error)).join("; ")})`);
      refreshToken = next;
    }
    const latency = summarize(latenciesMs);
    const successRate = succeeded / calls;
    log(
      `  ${options.repetitions} × ${options.concurrency} refreshes: p50 ${latency.p50} ms  p99 ${latency.p99} ms  success ${succeeded}/${calls}  diverged repetitions ${diverged}`,
    );
    const rows: Row[] = [
      {
        scenario: `3 refresh storm (${options.concurrency}× one token, ${options.repetitions} times)`,
        metric: "refresh latency ms",
        median: latency.p50,
        p99: latency.p99,
        baseline: null,
        ratio: null,
        target: "p99 < 100 ms",
        pass: latency.p99 < 100,
      },
      {
        scenario: `3 refresh storm (${options.concurrency}× one token, ${options.repetitions} times)`,
        metric: "success (all callers get the same new token)",
        median: `${(successRate * 100).toFixed(1)}% (${succeeded}/${calls}), ${diverged} diverged`,
        p99: null,
        baseline: null,
        ratio: null,
        target: "100%",
        pass: successRate === 1 && diverged === 0,
      },
    ];
    return { raw: { options, latency, calls, succeeded, diverged, failures: failures.slice(0, 5) }, rows };
  } finally {
    await web.stop();
    await iso.close();
  }
}
