import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { ACCESS_COOKIE, type Services } from "@livehall/api";
import { insertUsers } from "@livehall/api/testing";
import { accessTokenFor } from "../lib/api";
import { startChild } from "../lib/children";
import { ROOT, isolated } from "../lib/env";
import type { Row } from "../lib/report";
import { median, round, summarize } from "../lib/stats";

export interface SessionsPageOptions {
  sessions: number;
  warmupRequests: number;
  requestsPerRound: number;
  rounds: number;
  /** "auto": build when the bundle is missing or older than the sources; "always"; "never". */
  build: "auto" | "always" | "never";
}

const WEB = path.join(ROOT, "apps/web");
const BUNDLE = path.join(WEB, "build/server.js");
const CLIENT = path.join(WEB, "build/client");

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (
      !entry.isFile() ||
      entry.parentPath.includes("node_modules") ||
      /\.test\.|\/e2e\//.test(path.join(entry.parentPath, entry.name))
    )
      continue;
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** Builds the production web app (`npm run build -w @livehall/web`) when asked or when it is stale. */
export async function ensureWebBuild(
  mode: SessionsPageOptions["build"],
  log: (line: string) => void,
): Promise<{ built: boolean; buildMs: number | null }> {
  if (mode === "never") {
    if (!existsSync(BUNDLE)) throw new Error("apps/web/build/server.js is missing; run without --no-build");
    return { built: false, buildMs: null };
  }
  if (mode === "auto" && existsSync(BUNDLE)) {
    const sources = Math.max(
      ...(await Promise.all(
        ["apps/web/app", "apps/web/server", "packages/api/src", "packages/db/src"].map((dir) =>
          newestMtime(path.join(ROOT, dir)),
        ),
      )),
      (await stat(path.join(WEB, "server.ts"))).mtimeMs,
      (await stat(path.join(WEB, "vite.config.ts"))).mtimeMs,
    );
    if ((await stat(BUNDLE)).mtimeMs > sources) return { built: false, buildMs: null };
  }
  log("  building the web app (npm run build -w @livehall/web)…");
  const started = performance.now();
  await promisify(execFile)("npm", ["run", "build", "-w", "@livehall/web"], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_ENV: "production" },
  });
  return { built: true, buildMs: round(performance.now() - started, 0) };
}

/** The live-sessions route, when it exists yet; else the home page. */
async function pagePath(): Promise<{ path: string; note: string | null }> {
  const routes = await readdir(path.join(WEB, "app/routes"));
  if (routes.some((name) => /^sessions(\._index)?\.[jt]sx?$/.test(name) || name === "sessions"))
    return { path: "/sessions", note: null };
  return { path: "/", note: "no /sessions route in apps/web/app/routes yet: measured / instead" };
}

/**
 * `count` sessions over 25 courses of 10 instructors: a tenth live (20 participants each), half
 * upcoming, the rest ended (10 ratings each) or cancelled — what the live-sessions page lists.
 */
async function seedSessions(services: Services, count: number) {
  const instructors = await insertUsers(services, 10, { role: "INSTRUCTOR", emailPrefix: "bench-teacher" });
  const students = await insertUsers(services, 300, { emailPrefix: "bench-student" });
  const instructorIds = instructors.map((user) => user.id);
  const studentIds = students.map((user) => user.id);
  await services.db.$executeRaw`
    INSERT INTO "Course" (slug, title, description, "instructorId")
    SELECT 'bench-course-' || n, 'Course ' || n || ': ' || (ARRAY['Algorithms', 'Statistics', 'Typography', 'Databases', 'Spanish'])[1 + n % 5],
           'A course seeded by the benchmark.', (${instructorIds}::uuid[])[1 + n % 10]
    FROM generate_series(1, 25) AS n`;
  await services.db.$executeRaw`
    INSERT INTO "LiveSession" ("courseId", title, description, status, "startsAt", "plannedDurationMinutes", "startedAt", "endedAt")
    SELECT c.id, 'Session ' || n || ' — ' || c.title, 'What this session covers, in a sentence or two for the card.',
           kind.status::"SessionStatus",
           now() + kind.offset_hours * interval '1 hour', 60,
           CASE WHEN kind.status IN ('LIVE', 'ENDED') THEN now() + kind.offset_hours * interval '1 hour' END,
           CASE WHEN kind.status = 'ENDED' THEN now() + (kind.offset_hours + 1) * interval '1 hour' END
    FROM generate_series(1, ${count}::int) AS n
    JOIN LATERAL (SELECT id, title FROM "Course" ORDER BY slug OFFSET (n % 25) LIMIT 1) c ON true
    CROSS JOIN LATERAL (SELECT CASE WHEN n % 20 < 2 THEN 'LIVE' WHEN n % 20 < 12 THEN 'SCHEDULED' WHEN n % 20 < 19 THEN 'ENDED' ELSE 'CANCELLED' END AS status,
                               CASE WHEN n % 20 < 2 THEN -0.25 WHEN n % 20 < 12 THEN n ELSE -n END AS offset_hours) kind`;
  await services.db.$executeRaw`
    INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
    SELECT s.id, (${studentIds}::uuid[])[1 + (row_number() OVER () * 7 + k) % 300], now(), now()
    FROM "LiveSession" s CROSS JOIN generate_series(1, 20) AS k WHERE s.status = 'LIVE'
    ON CONFLICT DO NOTHING`;
  await services.db.$executeRaw`
    INSERT INTO "SessionRating" ("sessionId", "userId", stars)
    SELECT s.id, (${studentIds}::uuid[])[k * 29], 1 + (k % 5)
    FROM "LiveSession" s CROSS JOIN generate_series(1, 10) AS k WHERE s.status = 'ENDED'`;
  await services.db.$executeRawUnsafe(`VACUUM ANALYZE`);
  return students[0]!;
}

/** The first-load JavaScript of a page: every /assets/*.js the HTML loads or preloads, gzipped. */
async function firstLoadJs(html: string) {
  const files = [...new Set([...html.matchAll(/\/assets\/[\w.-]+\.js/g)].map((match) => match[0]))];
  let raw = 0;
  let gzipped = 0;
  const perFile: { file: string; bytes: number; gzipBytes: number }[] = [];
  for (const file of files) {
    const content = await readFile(path.join(CLIENT, file));
    const gzipBytes = gzipSync(content).length;
    raw += content.length;
    gzipped += gzipBytes;
    perFile.push({ file, bytes: content.length, gzipBytes });
  }
  return { files: perFile.sort((a, b) => b.gzipBytes - a.gzipBytes), raw, gzipped };
}

export async function sessionsPageScenario(options: SessionsPageOptions, log: (line: string) => void) {
  const build = await ensureWebBuild(options.build, log);
  const page = await pagePath();
  if (page.note) log(`  note: ${page.note}`);
  const iso = await isolated();
  const web = await startChild({ name: "web (production build)", entry: BUNDLE, cwd: WEB, env: iso.env });
  try {
    const student = await seedSessions(iso.services, options.sessions);
    const access = await accessTokenFor(iso.services, student);
    const headers = { cookie: `${ACCESS_COOKIE}=${access.token}`, accept: "text/html", "accept-encoding": "gzip" };
    let html = "";
    let statuses = new Set<number>();
    const get = async () => {
      const t0 = performance.now();
      const response = await fetch(`${web.url}${page.path}`, { headers, redirect: "manual" });
      html = await response.text();
      statuses.add(response.status);
      return performance.now() - t0;
    };
    for (let i = 0; i < options.warmupRequests; i++) await get();
    statuses = new Set();
    const rounds: ReturnType<typeof summarize>[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const times: number[] = [];
      for (let i = 0; i < options.requestsPerRound; i++) times.push(await get());
      rounds.push(summarize(times));
      log(
        `  round ${round}: GET ${page.path} p50 ${rounds.at(-1)!.p50} ms  p99 ${rounds.at(-1)!.p99} ms  status ${[...statuses].join(",")}`,
      );
    }
    const js = await firstLoadJs(html);
    const kb = (bytes: number) => round(bytes / 1024, 1);
    log(`  first-load JS: ${js.files.length} files, ${kb(js.raw)} kB raw, ${kb(js.gzipped)} kB gzipped`);
    const p50 = median(rounds.map((r) => r.p50));
    const ok = [...statuses].every((status) => status === 200);
    const label = `5 ${page.path} page (${options.sessions} sessions)`;
    const rows: Row[] = [
      {
        scenario: label,
        metric: `server render ms (loader + render${ok ? "" : `; HTTP ${[...statuses].join(",")}`})`,
        median: p50,
        p99: median(rounds.map((r) => r.p99)),
        baseline: null,
        ratio: null,
        target: "p50 < 50 ms",
        pass: p50 < 50 && ok,
      },
      {
        scenario: label,
        metric: `first-load JS kB gzipped (${js.files.length} files)`,
        median: kb(js.gzipped),
        p99: null,
        baseline: null,
        ratio: null,
        target: "< 150 kB",
        pass: js.gzipped < 150 * 1024 && js.files.length > 0,
      },
    ];
    return { raw: { options, page, build, rounds, statuses: [...statuses], firstLoadJs: js }, rows };
  } finally {
    await web.stop();
    await iso.close();
  }
}
