#!/usr/bin/env node
// `npm start` — prepare everything on a fresh clone and run Livehall (web + worker) in production mode.
// `npm run dev` (--dev) — the same preparation without the build, running both in watch mode.
// `node scripts/start.mjs --check-services` — only make sure Postgres and Redis are reachable, and
// Janus installed (or the media server answering).
//
// Node built-ins only: this runs before `npm install`.
import path from "node:path";
import { ROOT, color, exitWithError, log, runTogether } from "./lib/proc.mjs";
import { loadEnvFile } from "../packages/db/src/defaults.mjs";
import { appServices, ensureServices } from "./lib/services.mjs";
import { mediaConfig, prepareMedia } from "./lib/media.mjs";
import { WEB_NODE_FLAGS } from "../apps/web/node-flags.mjs";
import {
  NPM,
  NPX,
  assertPortFree,
  childEnv,
  demoMode,
  demoNotice,
  elapsed,
  ensureDependencies,
  localAuthSecret,
  runStep,
  waitForPort,
  webAddress,
} from "./lib/setup.mjs";

const USAGE = `Usage: node scripts/start.mjs [--dev | --cluster | --check-services]

  (no flag)         install if needed, start Postgres/Redis if needed, install Janus if needed,
                    migrate, seed, build, then run web, worker and Janus (supervised) in
                    production mode until Ctrl-C                              (npm start)
  --dev             the same without the build, web and worker in watch mode (npm run dev)
  --cluster         like npm start, but 2 web instances behind a round-robin proxy on PORT
                    and 2 workers                                         (npm run start:cluster)
  --check-services  only make sure Postgres and Redis are reachable and Janus is installed
                    (or the media server answers), then exit 0 or 1       (alias: --check-only)
`;

const args = new Set(process.argv.slice(2));
if (args.has("--help") || args.has("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const known = new Set(["--dev", "--cluster", "--check-services", "--check-only"]);
for (const arg of args) {
  if (!known.has(arg)) {
    log.fail(`Unknown option ${arg}. ${USAGE.split("\n")[0]}`);
    process.exit(2);
  }
}
const mode =
  args.has("--check-services") || args.has("--check-only")
    ? "check"
    : args.has("--dev")
      ? "dev"
      : args.has("--cluster")
        ? "cluster"
        : "start";

async function main() {
  const startedAt = Date.now();
  // Variables set in the shell win over .env; every child inherits the result.
  loadEnvFile();

  // 1. Services first: a wrong URL is reported in a second, before any install or build.
  const services = appServices();
  const ready = await ensureServices([services.postgres, services.redis]);
  log.ok(
    ready
      .map(({ target, action }) => `${target.label} ${action === "ready" ? "ready" : action} at ${target.redacted}`)
      .join(" · "),
  );

  // The web server runs with NODE_ENV set by the mode, so its default HOST follows the mode.
  const address = webAddress({ ...process.env, NODE_ENV: mode === "dev" ? "development" : "production" });

  // 1b. The media server: Janus installed, configured in .cache/janus/, run below with the others.
  // Its events go to the web app's port (the proxy's in cluster mode).
  const media = mediaConfig(mode);
  const janus = await prepareMedia({ mode, webPort: address.port || 3000, settings: media.settings });
  if (mode === "check") return 0;
  if (media.generated.length)
    log.info(
      color.dim(
        `MEDIA_ADMIN_SECRET / MEDIA_ROOM_ADMIN_KEY are not set: generated local ones in ${media.generated.join(" and ")} (set them in a real deployment).`,
      ),
    );
  await assertPortFree(address);

  // 2. Dependencies.
  const install = await ensureDependencies();
  if (install === "up to date") log.ok("Dependencies up to date");

  // Every child sees the same URLs, defaults included.
  const env = childEnv({ DATABASE_URL: services.postgres.url, REDIS_URL: services.redis.url, ...media.env });

  // 3. Database: client code, schema, demo data.
  await runStep("Generating the Prisma client…", NPX, ["turbo", "run", "generate", "--output-logs=errors-only"], {
    env,
  });
  await runStep(`Migrating ${services.postgres.redacted}…`, NPM, ["run", "--silent", "db:migrate"], { env });
  const demo = demoMode();
  if (demo)
    await runStep("Seeding demo data (demo mode: no AUTH_SECRET set)…", NPM, ["run", "--silent", "db:seed"], { env });
  else log.info(color.dim("AUTH_SECRET is set: not demo mode, so no demo data is seeded."));

  // 4. Build (production only) and run.
  let processes;
  if (mode === "start" || mode === "cluster") {
    await runStep("Building web and worker…", NPX, ["turbo", "run", "build", "--output-logs=new-only"], { env });
    const auth = localAuthSecret();
    if (auth.generated)
      log.info(
        color.dim(
          `AUTH_SECRET is not set: generated a local one in ${path.relative(ROOT, auth.file)} (set AUTH_SECRET in a real deployment).`,
        ),
      );
    // Links in mails point at the address this prints, unless the operator set their own. Demo mode
    // keeps mail in the local outbox (/dev/mail) when no SMTP_URL is set.
    const production = {
      NODE_ENV: "production",
      AUTH_SECRET: auth.secret,
      APP_URL: process.env.APP_URL || address.url,
      ...(demo ? { DEMO_MODE: "true" } : {}),
    };
    processes =
      mode === "start"
        ? [
            {
              name: "web",
              command: process.execPath,
              args: [...WEB_NODE_FLAGS, "apps/web/build/server.js"],
              env: production,
            },
            { name: "worker", command: process.execPath, args: ["apps/worker/dist/main.js"], env: production },
          ]
        : clusterProcesses(address, production);
  } else {
    processes = [
      { name: "web", command: NPM, args: ["run", "dev", "-w", "@livehall/web"] },
      { name: "worker", command: NPM, args: ["run", "dev", "-w", "@livehall/worker"] },
    ];
  }

  if (janus) processes.push(janus.process);

  const parts = mode === "cluster" ? ["2 web instances", "a proxy", "2 workers"] : ["web", "worker"];
  if (janus) parts.push("Janus");
  log.step(
    `Starting ${parts.slice(0, -1).join(", ")} and ${parts.at(-1)} (${mode === "dev" ? "development" : "production"} mode; prepared in ${elapsed(startedAt)})…`,
  );
  let finished = false;
  const running = runTogether(processes, { env, cwd: ROOT }).finally(() => {
    finished = true;
  });
  void announce(address, demo, media.settings.servers[0], () => finished);
  return running;
}

/**
 * Two web instances on the two ports after PORT, a round-robin proxy on PORT (the address users
 * open, so it is the allowed Origin of both), and two workers; every process has its own metrics port.
 */
function clusterProcesses(address, production) {
  const base = address.port || 3000;
  const origins = `http://localhost:${base},http://127.0.0.1:${base}`;
  const web = [1, 2].map((n) => ({
    name: `web-${n}`,
    command: process.execPath,
    args: [...WEB_NODE_FLAGS, "apps/web/build/server.js"],
    // Their /metrics listeners sit after the workers' (9464, 9465).
    env: { ...production, PORT: String(base + n), APP_ORIGINS: origins, METRICS_PORT: String(9465 + n) },
  }));
  const workers = [1, 2].map((n) => ({
    name: `worker-${n}`,
    command: process.execPath,
    args: ["apps/worker/dist/main.js"],
    env: { ...production, WORKER_METRICS_PORT: String(9463 + n) },
  }));
  const proxy = {
    name: "proxy",
    command: process.execPath,
    args: ["scripts/lib/round-robin-proxy.mjs"],
    env: {
      PROXY_PORT: String(base),
      PROXY_BACKENDS: web.map((instance) => `http://127.0.0.1:${instance.env.PORT}`).join(","),
    },
  };
  return [proxy, ...web, ...workers];
}

/** Prints the address, and whether this is demo mode (with its logins), once the web server accepts connections. */
async function announce(address, demo, mediaServer, finished) {
  const up = address.port ? await waitForPort(address.connectHost, address.port, { cancelled: finished }) : true;
  if (finished()) return;
  const lines = [
    "",
    up
      ? color.bold(`  Livehall is running at ${address.url}`)
      : color.bold(`  Livehall should be at ${address.url} (not answering yet)`),
    `  Media server (Janus): ${mediaServer.apiUrl}`,
    ...demoNotice(demo),
    process.env.SMTP_URL
      ? "  Mail goes out through SMTP_URL."
      : `  Mail is kept in the local outbox: ${address.url}/dev/mail (signed in as an admin).`,
    color.dim("  Press Ctrl-C to stop."),
    "",
  ];
  console.log(lines.join("\n"));
}

main().then(
  (code) => process.exit(code),
  (error) => exitWithError(error),
);
