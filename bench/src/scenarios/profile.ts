import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { startChild } from "../lib/children";
import { BENCH_DIR, isolated } from "../lib/env";
import { load } from "../lib/load";
import { summarizeProfile, type ProfileSummary } from "../lib/profile";
import { createSessionFixture, insertUsers } from "@livehall/api/testing";
import { accessTokenFor } from "../lib/api";
import { startTabs } from "../lib/tabs";
import { joinAs, roomPath, SNAPSHOT_READY, students } from "./big-room";
import { heartbeatFixture, SERVER_ENTRIES } from "./heartbeat";
import { joinStorm } from "./join-storm";

export const PROFILE_DIR = path.join(BENCH_DIR, "profiles");

/** Frames whose inclusive time tells where a heartbeat's time goes. */
const FRAMES = [
  "join@participants",
  "$transaction",
  "participantRows",
  "activeParticipantCount",
  "publishParticipantEvent",
  "addConnection",
  "authenticateRequest",
  "jwtVerify",
  "isFamilyRevoked",
  "heartbeat@participants",
  "touchConnection",
  "createContext@http-context",
  "contextForRequest",
  "requestInfo",
  "compression",
  "assignRequestId",
  "requestObservability",
  "nodeMiddleware",
  "resolveResponse",
  "getRequestInfo",
  "callProcedure",
  "parse@superjson",
  "serialize@superjson",
  "deserialize@superjson",
  "handle@express",
  "logger@pino",
  "observe@prom-client",
  "write@pino",
  "sendCommand@ioredis",
  "processTicksAndRejections",
];

/**
 * `npm run bench -- --profile`: the real server under heartbeat load with `node --cpu-prof`, then
 * what its CPU time went to (self time by area and function, inclusive time of the main frames).
 */
export async function profileHeartbeat(
  options: { seconds: number; connections: number; workload: "heartbeat" | "join" | "fanout" },
  log: (line: string) => void,
): Promise<{ file: string; summary: ProfileSummary }> {
  await rm(PROFILE_DIR, { recursive: true, force: true });
  await mkdir(PROFILE_DIR, { recursive: true });
  const iso = await isolated();
  const window = { fromMs: 0, toMs: Number.POSITIVE_INFINITY };
  try {
    const web = await startChild({
      name: "web (profiled)",
      entry: SERVER_ENTRIES.web,
      env: iso.env,
      nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, "--cpu-prof-interval=250"],
    });
    try {
      if (options.workload === "heartbeat") {
        const { request } = await heartbeatFixture(iso.services, web.url);
        await load(request(web.url), { connections: options.connections, durationSeconds: 2 });
        // The profile covers the whole process; only the measured load counts (start-up, fixture and
        // warm-up are left out), give or take the few ms between spawn and the profiler starting.
        window.fromMs = performance.now() - web.spawnedAt;
        const result = await load(request(web.url), {
          connections: options.connections,
          durationSeconds: options.seconds,
        });
        window.toMs = performance.now() - web.spawnedAt;
        log(`  profiled load: ${result.rps} req/s, p99 ${result.latencyMs.p99} ms`);
      } else if (options.workload === "fanout") {
        // One session with 3,000 open room streams (two load-generator processes); students join
        // one after another, each join's event reaching every tab before the next.
        const tabs = await startTabs(2);
        try {
          const room = await students(iso, 3_000 + 200);
          await tabs.open(
            web.url,
            room.tokens.slice(0, 3_000).map((token) => ({ path: roomPath(room.sessionId), token })),
            SNAPSHOT_READY,
          );
          window.fromMs = performance.now() - web.spawnedAt;
          let joins = 0;
          const until = performance.now() + options.seconds * 1000;
          while (performance.now() < until && joins < 200) {
            const arrivals = await tabs.arm(room.users[3_000 + joins]!.id, 30_000);
            await joinAs(web.url, room.tokens[3_000 + joins]!, room.sessionId, `profile-fanout-${joins}`);
            await arrivals();
            joins++;
          }
          window.toMs = performance.now() - web.spawnedAt;
          log(`  profiled load: ${joins} joins, each fanned out to 3,000 tabs`);
          await tabs.close();
        } finally {
          await tabs.stop();
        }
      } else {
        // Join storms of 1,000 students into fresh live sessions, back to back.
        const users = await insertUsers(iso.services, 1_000, { emailPrefix: "bench-profile" });
        const tokens = await Promise.all(users.map(async (user) => (await accessTokenFor(iso.services, user)).token));
        const joinUrl = new URL("/api/trpc/session.join", web.url);
        const storm = async () => {
          const { session } = await createSessionFixture(iso.services);
          const { errors } = await joinStorm(joinUrl, tokens, session.id);
          if (errors.length > 0) throw new Error(`join storm failed: ${errors[0]}`);
        };
        await storm();
        window.fromMs = performance.now() - web.spawnedAt;
        let storms = 0;
        const until = performance.now() + options.seconds * 1000;
        while (performance.now() < until) {
          await storm();
          storms++;
        }
        window.toMs = performance.now() - web.spawnedAt;
        log(
          `  profiled load: ${storms} storms of 1,000 joins, ${Math.round((storms * 1000) / ((window.toMs - window.fromMs) / 1000))} joins/s`,
        );
      }
    } finally {
      await web.stop();
    }
  } finally {
    await iso.close();
  }
  const [file] = (await readdir(PROFILE_DIR)).filter((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error("node --cpu-prof wrote no profile");
  const full = path.join(PROFILE_DIR, file);
  return { file: full, summary: await summarizeProfile(full, FRAMES, window) };
}

export function printProfile(summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  const lines = ["Self time by area (share of busy CPU time):"];
  for (const area of summary.byArea.slice(0, 20)) lines.push(`  ${pct(area.share)}  ${area.area}`);
  lines.push("Top functions by self time:");
  for (const fn of summary.topSelf) lines.push(`  ${pct(fn.share)}  ${fn.fn}  ${fn.where}`);
  lines.push("Inclusive time of chosen frames:");
  for (const frame of summary.inclusive) lines.push(`  ${pct(frame.share)}  ${frame.frame}`);
  return lines.join("\n");
}
