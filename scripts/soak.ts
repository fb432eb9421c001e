// `npm run soak` (not part of npm test): the production build of web + worker under a long,
// steady load — by default 10 minutes, 2,000 room connections (500 users × 4 tabs) heartbeating
// on the normal 30 s interval, and a 60 s access-token TTL so every client refreshes about ten
// times. It counts wrongful evictions (a tab that kept heartbeating told to re-join, or a row
// closed with TIMEOUT), sign-outs and failed calls, and reads the processes' RSS at start and end.
// Flags: --minutes N, --users N, --tabs N. Needs `npm test`'s preparation (the livehall_test
// template) and a build (`npx turbo run build`), which it runs when missing.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { AuthSession, createApiClient } from "@livehall/api/client";
import { createSessionFixture, hashPassword, insertUsers } from "@livehall/api/testing";
import { createDb } from "@livehall/db";
import { createRedisNamespace, createTestDatabase, freePort, waitFor } from "@livehall/testing";
import { WEB_NODE_FLAGS } from "../apps/web/node-flags.mjs";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    users: { type: "string", default: "500" },
    tabs: { type: "string", default: "4" },
  },
});
const minutes = Number(values.minutes);
const userCount = Number(values.users);
const tabsPerUser = Number(values.tabs);
const ROOT = new URL("..", import.meta.url).pathname;

if (!existsSync(`${ROOT}apps/web/build/server.js`) || !existsSync(`${ROOT}apps/worker/dist/main.js`)) {
  console.log("Building web and worker…");
  await new Promise((resolve, reject) =>
    spawn("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: ROOT, stdio: "inherit" }).on(
      "exit",
      (code) => (code === 0 ? resolve(null) : reject(new Error("build failed"))),
    ),
  );
}

const database = await createTestDatabase();
const namespace = createRedisNamespace();
const port = await freePort();
const env = {
  ...process.env,
  NODE_ENV: "production",
  LOG_LEVEL: "warn",
  AUTH_SECRET: "soak-".repeat(8),
  // Demo mode: no mail server needed, mail (none is sent here) would be kept in the local outbox.
  DEMO_MODE: "true",
  DATABASE_URL: database.url,
  REDIS_KEY_PREFIX: namespace.prefix,
  PORT: String(port),
  APP_URL: `http://127.0.0.1:${port}`,
  HOST: "127.0.0.1",
  ACCESS_TOKEN_TTL_SECONDS: "60",
  // The soak measures presence and sign-ins, not media: no media server.
  MEDIA_SERVERS: "",
  WORKER_METRICS_PORT: "0",
  METRICS_PORT: "0",
};
const children: ChildProcess[] = [
  spawn(process.execPath, [...WEB_NODE_FLAGS, `${ROOT}apps/web/build/server.js`], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  }),
  spawn(process.execPath, [`${ROOT}apps/worker/dist/main.js`], { env, stdio: ["ignore", "inherit", "inherit"] }),
];
const baseUrl = `http://127.0.0.1:${port}`;
const trpcUrl = `${baseUrl}/api/trpc`;
const rssMb = (child: ChildProcess) => {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  return Math.round(Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024);
};

try {
  await waitFor(async () => (await fetch(`${baseUrl}/readyz`).catch(() => null))?.ok, {
    timeoutMs: 30_000,
    what: "the web server",
  });
  const db = createDb(database.url);
  const { session } = await createSessionFixture({ db });
  const password = "soak password";
  const users = await insertUsers({ db }, userCount, {
    passwordHash: await hashPassword(password),
    emailPrefix: "soak",
  });
  await db.$disconnect();

  const totals = { signedOut: 0, wrongfulRejoins: 0, failedCalls: 0, heartbeats: 0, refreshes: 0 };
  const clients = [];
  for (const user of users) {
    const auth = new AuthSession({
      url: trpcUrl,
      delivery: "body",
      onSignedOut: () => void totals.signedOut++,
      onTokens: () => void totals.refreshes++,
    });
    const client = createApiClient({ url: trpcUrl, session: auth });
    auth.update(await client.auth.login.mutate({ email: user.email, password, delivery: "body" }));
    totals.refreshes--; // the sign-in itself is not a refresh
    clients.push({ client, tabs: Array.from({ length: tabsPerUser }, (_, i) => `soak-${user.id.slice(0, 8)}-${i}`) });
  }
  for (const { client, tabs } of clients)
    for (const connectionId of tabs) await client.session.join.mutate({ sessionId: session.id, connectionId });
  const rssStart = children.map(rssMb);
  console.log(
    `${userCount * tabsPerUser} connections joined; RSS web ${rssStart[0]} MB, worker ${rssStart[1]} MB. Running ${minutes} min…`,
  );

  const endAt = Date.now() + minutes * 60_000;
  const interval = 30_000;
  await Promise.all(
    clients.flatMap(({ client, tabs }) =>
      tabs.map(async (connectionId) => {
        // Spread the beats over the interval, as real tabs opened at different times would.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * interval));
        while (Date.now() < endAt) {
          try {
            const answer = await client.session.heartbeat.mutate({ sessionId: session.id, connectionId });
            totals.heartbeats++;
            if (answer.status === "rejoin") {
              totals.wrongfulRejoins++;
              await client.session.join.mutate({ sessionId: session.id, connectionId });
            }
          } catch {
            totals.failedCalls++;
          }
          await new Promise((resolve) => setTimeout(resolve, interval));
        }
      }),
    ),
  );
  const rssEnd = children.map(rssMb);
  const check = createDb(database.url);
  const timedOut = await check.sessionParticipant.count({ where: { sessionId: session.id, leaveReason: "TIMEOUT" } });
  const active = await check.sessionParticipant.count({ where: { sessionId: session.id, leftAt: null } });
  await check.$disconnect();
  const result = {
    minutes,
    connections: userCount * tabsPerUser,
    ...totals,
    rowsClosedWithTimeout: timedOut,
    activeAtEnd: active,
    rssMb: { web: [rssStart[0], rssEnd[0]], worker: [rssStart[1], rssEnd[1]] },
  };
  console.log(JSON.stringify(result, null, 2));
  const ok = totals.signedOut === 0 && totals.wrongfulRejoins === 0 && timedOut === 0 && active === userCount;
  console.log(ok ? "soak: passed (0 wrongful evictions, 0 sign-outs)" : "soak: FAILED");
  process.exitCode = ok ? 0 : 1;
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map(
      (child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve))),
    ),
  );
  await database.drop();
  await namespace.clear();
}
