import type { ParticipantEvent } from "@livehall/api";
import { createSessionFixture, enrollUsers, insertUsers } from "@livehall/api/testing";
import { accessTokenFor, clientFor } from "../lib/api";
import { startChild } from "../lib/children";
import { isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { summarize } from "../lib/stats";
import { SERVER_ENTRIES } from "./heartbeat";

export interface FanoutOptions {
  joins: number;
  warmupJoins: number;
}

const EVENT_TIMEOUT_MS = 5_000;

/**
 * Two web instances on one database and one Redis, as behind a load balancer. A watcher subscribes
 * to the session's participant events on instance B (SSE, the typed client's subscription); students
 * join one after another through instance A. Each figure is the time from sending the join to A
 * until B's event for that student reaches the watcher.
 */
export async function fanoutScenario(options: FanoutOptions, log: (line: string) => void) {
  const iso = await isolated();
  const [a, b] = await Promise.all([
    startChild({ name: "web A", entry: SERVER_ENTRIES.web, env: iso.env }),
    startChild({ name: "web B", entry: SERVER_ENTRIES.web, env: iso.env }),
  ]);
  try {
    const { services } = iso;
    const { session } = await createSessionFixture(services);
    const [watcher, ...students] = await insertUsers(services, 1 + options.warmupJoins + options.joins, {
      emailPrefix: "bench-fanout",
    });
    // The watcher is a student of the course: a room's streams are for them (docs/decisions/020).
    await enrollUsers(services, session.courseId, [watcher!]);

    const arrivals = new Map<string, (at: number) => void>();
    let snapshot: () => void = () => undefined;
    const snapshotSeen = new Promise<void>((resolve) => (snapshot = resolve));
    const watcherClient = clientFor(b.url, await accessTokenFor(services, watcher!));
    const subscription = watcherClient.session.onParticipants.subscribe(
      { sessionId: session.id },
      {
        onData: (data) => {
          const at = performance.now();
          const event = data as ParticipantEvent;
          if (event.type === "snapshot") snapshot();
          if (event.type === "joined") arrivals.get(event.participant.userId)?.(at);
        },
        onError: (error) => log(`  subscription error: ${error.message}`),
      },
    );
    try {
      await snapshotSeen;
      const latenciesMs: number[] = [];
      const joinAnswerMs: number[] = [];
      let missed = 0;
      for (let i = 0; i < students.length; i++) {
        const student = students[i]!;
        const client = clientFor(a.url, await accessTokenFor(services, student));
        const arrived = new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), EVENT_TIMEOUT_MS);
          arrivals.set(student.id, (at) => {
            clearTimeout(timer);
            resolve(at);
          });
        });
        const t0 = performance.now();
        await client.session.join.mutate({ sessionId: session.id, connectionId: `bench-fanout-${i}` });
        const answered = performance.now();
        const at = await arrived;
        arrivals.delete(student.id);
        if (i < options.warmupJoins) continue;
        joinAnswerMs.push(answered - t0);
        if (at === null) missed++;
        else latenciesMs.push(at - t0);
      }
      const latency = summarize(latenciesMs);
      const answer = summarize(joinAnswerMs);
      log(
        `  ${options.joins} joins on A → events on B: p50 ${latency.p50} ms  p99 ${latency.p99} ms  missed ${missed}  (join answer p50 ${answer.p50} ms)`,
      );
      const rows: Row[] = [
        {
          scenario: `6 event fan-out A → B (${options.joins} joins)`,
          metric: "join sent on A → SSE event on B, ms",
          median: latency.p50,
          p99: latency.p99,
          baseline: null,
          ratio: null,
          target: "p99 < 150 ms, none missed",
          pass: latency.p99 < 150 && missed === 0,
        },
        {
          scenario: `6 event fan-out A → B (${options.joins} joins)`,
          metric: "of which: the join's own answer on A, ms",
          median: answer.p50,
          p99: answer.p99,
          baseline: null,
          ratio: null,
          target: "report",
          pass: null,
        },
      ];
      return { raw: { options, latency, joinAnswer: answer, missed }, rows };
    } finally {
      subscription.unsubscribe();
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await iso.close();
  }
}
