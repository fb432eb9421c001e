import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createSessionFixture, enrollUsers } from "@livehall/api/testing";
import { DEMO_PASSWORD, DEMO_PASSWORD_HASH } from "@livehall/db/seed";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_FORM_BODY_BYTES } from "./remix.server";
import { startTestServer, type TestServer } from "./test-server";

const appRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TEN_MB = 10 * 1024 * 1024;
let server: TestServer;
let cookie: string;
let roomPath: string;

beforeAll(async () => {
  server = await startTestServer({ remix: "vite", appRoot });
  server.services.config.appOrigins.push(server.url);
  await server.services.db.user.create({
    data: { email: "student@example.test", name: "Student", passwordHash: DEMO_PASSWORD_HASH, role: "STUDENT" },
  });
  const signIn = await login(new URLSearchParams({ email: "student@example.test", password: DEMO_PASSWORD }));
  expect(signIn.status).toBe(302);
  cookie = signIn.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  const { session } = await createSessionFixture(server.services);
  roomPath = `/sessions/${session.id}`;
  // The room page is the course's students' (docs/decisions/020).
  const student = await server.services.db.user.findUniqueOrThrow({ where: { email: "student@example.test" } });
  await enrollUsers(server.services, session.courseId, [student]);
});
afterAll(() => server?.close());

function login(body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
    body,
  });
}

/**
 * Posts `bytes` bytes to `pathname` with Content-Length or chunked, writing until the server
 * answers (it may answer and close before the whole body is sent); resolves with the status.
 */
function postLarge(
  pathname: string,
  bytes: number,
  { chunked, type = "application/x-www-form-urlencoded" }: { chunked: boolean; type?: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${pathname}`, {
      method: "POST",
      headers: {
        "content-type": type,
        origin: server.url,
        ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(bytes) }),
      },
    });
    let answered = false;
    request.on("response", (response) => {
      answered = true;
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    // The server closing mid-upload is expected once it has answered.
    request.on("error", (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, "a");
    let sent = 0;
    const write = () => {
      while (sent < bytes && !answered && !request.destroyed) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once("drain", write);
      }
      if (!answered && !request.destroyed) request.end();
    };
    write();
  });
}

describe("request bodies", () => {
  test("a 10 MB form post to /login is refused with 413, with Content-Length or chunked", async () => {
    expect(await postLarge("/login", TEN_MB, { chunked: false })).toBe(413);
    expect(await postLarge("/login", TEN_MB, { chunked: true })).toBe(413);
    expect(await postLarge("/login", MAX_FORM_BODY_BYTES + 1, { chunked: true })).toBe(413);
  });

  test("a form within the limit still reaches the action, chunked too", async () => {
    const form = `email=student%40example.test&password=wrong&pad=${"x".repeat(MAX_FORM_BODY_BYTES - 200)}`;
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(form));
        controller.close();
      },
    });
    const answer = await fetch(`${server.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect(answer.status).toBe(401);
    expect(await answer.text()).toContain("match an account");
  });

  test("the API refuses a 10 MB body with 413", async () => {
    const type = "application/json";
    expect(await postLarge("/api/trpc/auth.login", TEN_MB, { chunked: false, type })).toBe(413);
    expect(await postLarge("/api/trpc/auth.login", TEN_MB, { chunked: true, type })).toBe(413);
  });
});

describe("security headers", () => {
  const pages = () => [
    { pathname: "/", signedIn: false },
    { pathname: "/sessions", signedIn: false },
    { pathname: "/login", signedIn: false },
    { pathname: "/sessions", signedIn: true },
    { pathname: roomPath, signedIn: true },
  ];

  test("every page has a nonce-based Content-Security-Policy its own scripts carry, nosniff and a referrer policy", async () => {
    const nonces = new Set<string>();
    for (const { pathname, signedIn } of pages()) {
      const response = await fetch(`${server.url}${pathname}`, {
        redirect: "manual",
        headers: signedIn ? { cookie } : {},
      });
      const what = `${pathname} (${signedIn ? "signed in" : "visitor"})`;
      expect(response.status, what).toBeLessThan(400);
      expect(response.headers.get("x-content-type-options"), what).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("strict-transport-security"), what).toBeNull();
      const policy = response.headers.get("content-security-policy") ?? "";
      const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
      expect(nonce, what).toBeDefined();
      nonces.add(nonce!);
      for (const directive of [
        "default-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ])
        expect(policy, what).toContain(directive);
      if (response.status === 200) {
        const scripts = (await response.text()).match(/<script\b[^>]*>/g) ?? [];
        expect(scripts.length, what).toBeGreaterThan(0);
        for (const script of scripts) expect(script, what).toContain(`nonce="${nonce}"`);
      }
      expect(response.headers.get("cache-control"), what).toBe(signedIn ? "no-store" : null);
    }
    expect(nonces.size).toBe(pages().length);
  });

  test("Strict-Transport-Security only when served over https (as the trusted proxy says)", async () => {
    const viaHttps = await fetch(`${server.url}/login`, { headers: { "x-forwarded-proto": "https" } });
    expect(viaHttps.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    const plain = await fetch(`${server.url}/login`);
    expect(plain.headers.get("strict-transport-security")).toBeNull();
  });
});
