import path from "node:path";
import { fileURLToPath } from "node:url";
import { authCounters } from "@livehall/api";
import { signAccessToken } from "@livehall/api/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

const appRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let server: TestServer;
let origin: string;
const PASSWORD = "web password 1";

beforeAll(async () => {
  server = await startTestServer({ remix: "vite", appRoot });
  origin = server.url;
  // The server's config allows its own origin (APP_ORIGINS defaults to localhost:PORT, and the test
  // server listens on a random port), so allow it explicitly for these requests.
  server.services.config.appOrigins.push(origin);
});
afterAll(() => server?.close());

const cookieValue = (setCookies: string[], name: string) =>
  setCookies
    .find((cookie) => cookie.startsWith(`${name}=`))
    ?.split(";")[0]
    ?.slice(name.length + 1);

async function signUp(email: string) {
  const response = await fetch(`${server.trpcUrl}/auth.signup`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ json: { email, name: "Wendy Web", password: PASSWORD } }),
  });
  expect(response.status).toBe(200);
  const cookies = response.headers.getSetCookie();
  return { at: cookieValue(cookies, "lh_at")!, rt: cookieValue(cookies, "lh_rt")! };
}

const reasonIn = async (answer: Response) =>
  ((await answer.json()) as { error: { json: { data: { reason: string } } } }[]).map(
    (item) => item.error.json.data.reason,
  );

async function verifications() {
  const metric = await authCounters.passwordHashes.get();
  return metric.values.find((value) => value.labels.operation === "verify")?.value ?? 0;
}

/** One batched tRPC request (`?batch=1`) of `paths`, each with `input`. */
const batch = (paths: string[], input: (index: number) => unknown, method = "POST") => {
  const url = `${server.trpcUrl}/${paths.join(",")}?batch=1`;
  if (method === "GET") {
    const inputs = Object.fromEntries(paths.map((_, i) => [i, { json: input(i) }]));
    return fetch(`${url}&input=${encodeURIComponent(JSON.stringify(inputs))}`);
  }
  return fetch(url, {
    method,
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify(Object.fromEntries(paths.map((_, i) => [i, { json: input(i) }]))),
  });
};

async function counter(path: "rotated" | "successor_reserved") {
  const metric = await authCounters.refreshSucceeded.get();
  return metric.values.find((value) => value.labels.path === path)?.value ?? 0;
}

describe("cookie sessions on the web server", () => {
  test("a page request with an expired lh_at and a valid lh_rt renders signed in, sets new cookies, and refreshes once", async () => {
    const { rt } = await signUp("expired-at@example.test");
    const rotatedBefore = await counter("rotated");
    const reservedBefore = await counter("successor_reserved");

    // No lh_at at all is what the browser sends once the access cookie's Max-Age ran out.
    const page = await fetch(`${server.url}/sessions`, { headers: { cookie: `lh_rt=${rt}` } });
    expect(page.status).toBe(200);
    // React separates adjacent text nodes with <!-- --> in server HTML.
    expect(await page.text()).toMatch(/Signed in as (<!-- -->)?Wendy Web/);
    const cookies = page.headers.getSetCookie();
    expect(cookieValue(cookies, "lh_at")).toBeTruthy();
    expect(cookieValue(cookies, "lh_rt")).not.toBe(rt);
    // The root and sessions loaders ran in parallel on one resolved user: exactly one refresh.
    expect((await counter("rotated")) - rotatedBefore).toBe(1);
    expect((await counter("successor_reserved")) - reservedBefore).toBe(0);
  });

  test("an access token that is present but expired is refreshed the same way", async () => {
    const { rt } = await signUp("expired-jwt@example.test");
    const me = await server.services.db.user.findUniqueOrThrow({ where: { email: "expired-jwt@example.test" } });
    const family = await server.services.db.refreshToken.findFirstOrThrow({ where: { userId: me.id } });
    const stale = await signAccessToken(
      server.services.tokenKeys,
      { id: me.id, role: me.role, familyId: family.familyId },
      new Date(Date.now() - 3_600_000),
      60_000,
    );
    const answer = await fetch(`${server.trpcUrl}/auth.me`, {
      headers: { cookie: `lh_at=${stale.token}; lh_rt=${rt}` },
    });
    expect(answer.status).toBe(200);
    expect(cookieValue(answer.headers.getSetCookie(), "lh_rt")).toBeTruthy();
  });

  test("20 concurrent refreshes with one lh_rt cookie all get the same new token", async () => {
    const { rt } = await signUp("storm@example.test");
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${server.trpcUrl}/auth.refresh`, {
          method: "POST",
          headers: { cookie: `lh_rt=${rt}`, origin, "content-type": "application/json" },
          body: "{}",
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const tokens = new Set(answers.map((answer) => cookieValue(answer.headers.getSetCookie(), "lh_rt")));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(rt);
  });

  test("a cookie-authenticated POST with a missing or foreign Origin is refused", async () => {
    const { at } = await signUp("csrf@example.test");
    const post = (headers: Record<string, string>) =>
      fetch(`${server.trpcUrl}/auth.logoutAll`, {
        method: "POST",
        headers: { cookie: `lh_at=${at}`, "content-type": "application/json", ...headers },
        body: "{}",
      });
    const refused: Record<string, string>[] = [
      {},
      { origin: "https://evil.example" },
      { referer: "https://evil.example/page" },
    ];
    for (const headers of refused) {
      const answer = await post(headers);
      expect(answer.status).toBe(403);
      expect(((await answer.json()) as { error: { json: { data: { reason: string } } } }).error.json.data.reason).toBe(
        "CSRF_ORIGIN_REJECTED",
      );
    }
    expect((await post({ origin })).status).toBe(200);
  });

  test("1,000 sign-ins in one batched request are refused before any password is checked", async () => {
    const before = await verifications();
    const answer = await batch(Array(1_000).fill("auth.login"), (i) => ({
      email: "victim@example.test",
      password: `guess ${i}`,
    }));
    expect(answer.status).toBe(413);
    expect(new Set(await reasonIn(answer))).toEqual(new Set(["BATCH_TOO_LARGE"]));
    expect((await verifications()) - before).toBe(0);
  });

  test("auth calls are never batched, even two; other calls batch up to TRPC_MAX_BATCH", async () => {
    const before = await verifications();
    const logins = await batch(["auth.login", "auth.login"], () => ({ email: "v@example.test", password: "guess" }));
    expect(logins.status).toBe(400);
    expect(await reasonIn(logins)).toEqual(["BATCH_NOT_ALLOWED", "BATCH_NOT_ALLOWED"]);
    const signups = await batch(["auth.signup"], () => ({
      email: "b@example.test",
      name: "B",
      password: "long enough",
    }));
    expect(await reasonIn(signups)).toEqual(["BATCH_NOT_ALLOWED"]);
    expect((await verifications()) - before).toBe(0);

    const max = server.services.config.limits.trpcMaxBatch;
    const lists = await batch(Array(max).fill("course.list"), () => ({}), "GET");
    expect(lists.status).toBe(200);
    const tooMany = await batch(Array(max + 1).fill("course.list"), () => ({}), "GET");
    expect(tooMany.status).toBe(413);
  });

  test("Origin: null is foreign: a sign-in from a sandboxed iframe is refused", async () => {
    const { at } = await signUp("sandboxed@example.test");
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${server.trpcUrl}/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "null", referer: `${origin}/login`, ...headers },
        body: JSON.stringify({ json: body }),
      });
    const signIn = await post("auth.login", {}, { email: "sandboxed@example.test", password: PASSWORD });
    expect(signIn.status).toBe(403);
    expect(signIn.headers.getSetCookie()).toEqual([]);
    const cookieMutation = await post("auth.logoutAll", { cookie: `lh_at=${at}` }, {});
    expect(cookieMutation.status).toBe(403);
  });

  test("after logout the old access cookie fails at once with SESSION_REVOKED and the cookies are cleared", async () => {
    const { at, rt } = await signUp("revoked@example.test");
    const logout = await fetch(`${server.trpcUrl}/auth.logout`, {
      method: "POST",
      headers: { cookie: `lh_at=${at}; lh_rt=${rt}`, origin, "content-type": "application/json" },
      body: "{}",
    });
    expect(logout.status).toBe(200);
    const me = await fetch(`${server.trpcUrl}/auth.me`, { headers: { cookie: `lh_at=${at}; lh_rt=${rt}` } });
    expect(me.status).toBe(401);
    expect(((await me.json()) as { error: { json: { data: { reason: string } } } }).error.json.data.reason).toBe(
      "SESSION_REVOKED",
    );
    expect(me.headers.getSetCookie().every((cookie) => cookie.includes("Max-Age=0"))).toBe(true);
  });
});

describe("Secure cookies follow the browser's scheme", () => {
  const signUpWith = (email: string, headers: Record<string, string>) =>
    fetch(`${server.trpcUrl}/auth.signup`, {
      method: "POST",
      headers: { "content-type": "application/json", origin, ...headers },
      body: JSON.stringify({ json: { email, name: "Pat Plain", password: PASSWORD } }),
    });

  test("plain http gets cookies without Secure; https through a trusted (loopback) proxy gets Secure", async () => {
    const plain = await signUpWith("plain-http@example.test", {});
    expect(plain.status).toBe(200);
    const plainCookies = plain.headers.getSetCookie().filter((cookie) => /^lh_(at|rt)=/.test(cookie));
    expect(plainCookies).toHaveLength(2);
    for (const cookie of plainCookies) expect(cookie).not.toMatch(/;\s*Secure/i);

    const proxied = await signUpWith("behind-tls-proxy@example.test", { "x-forwarded-proto": "https" });
    const proxiedCookies = proxied.headers.getSetCookie().filter((cookie) => /^lh_(at|rt)=/.test(cookie));
    expect(proxiedCookies).toHaveLength(2);
    for (const cookie of proxiedCookies) expect(cookie).toMatch(/;\s*Secure/i);

    // A page load that refreshes from lh_rt sets its new cookies by the same rule.
    const rt = cookieValue(proxied.headers.getSetCookie(), "lh_rt")!;
    const page = await fetch(`${server.url}/sessions`, { headers: { cookie: `lh_rt=${rt}` } });
    const refreshed = page.headers.getSetCookie().filter((cookie) => /^lh_(at|rt)=/.test(cookie));
    expect(refreshed).toHaveLength(2);
    for (const cookie of refreshed) expect(cookie).not.toMatch(/;\s*Secure/i);
  });
});
