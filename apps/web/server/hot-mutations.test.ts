import { randomUUID } from "node:crypto";
import { ACCESS_COOKIE } from "@livehall/api";
import { AuthSession, createApiClient } from "@livehall/api/client";
import { createSessionFixture, insertUsers, signAccessToken } from "@livehall/api/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

// The presence mutations take a direct route in the node:http listener, past express and tRPC's
// Fetch-API adapter (hot-mutations.server.ts); these tests hold it to answering exactly as tRPC does
// (errors in tRPC's own shape), to leaving everything that is not the plain case to tRPC, and to the
// request id, log line and latency histogram every other request gets.
let server: TestServer;
let sessionId: string;
let token: string;

beforeAll(async () => {
  // One tab beats many times here to compare answers: a heartbeat budget above this file's beats. A
  // leave budget of one call (refilled only after 100 s) makes a refusal certain.
  server = await startTestServer({
    env: { ROOM_RATE_HEARTBEAT_BURST: "100", ROOM_RATE_LEAVE_BURST: "1", ROOM_RATE_LEAVE_PER_SECOND: "0.01" },
  });
  const { session } = await createSessionFixture(server.services);
  sessionId = session.id;
  const [student] = await insertUsers(server.services, 1);
  ({ token } = await signAccessToken(
    server.services.tokenKeys,
    { id: student!.id, role: "STUDENT", familyId: randomUUID() },
    new Date(),
    600_000,
  ));
});
afterAll(() => server?.close());

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${token}` },
) {
  const response = await fetch(`${server.trpcUrl}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    // tRPC streams its answers; the direct route writes one body of known length.
    chunked: response.headers.get("transfer-encoding") === "chunked",
    headers: response.headers,
    json: (await response.json()) as unknown,
  };
}

const input = (connectionId: string) => ({ json: { sessionId, connectionId } });

test("a heartbeat answers in tRPC's envelope, batched or not, the same as tRPC itself answers it", async () => {
  await post("session.join?batch=1", { 0: input("tab-aaaaaaaa") });
  const direct = await post("session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa") });
  const unbatched = await post("session.heartbeat", input("tab-aaaaaaaa"));
  // Two calls in one batch are not the plain case: tRPC answers them.
  const viaTrpc = await post("session.heartbeat,session.heartbeat?batch=1", {
    0: input("tab-aaaaaaaa"),
    1: input("tab-aaaaaaaa"),
  });

  expect(viaTrpc.chunked).toBe(true);
  expect(direct.chunked).toBe(false);
  const [first] = viaTrpc.json as unknown[];
  expect(first).toEqual({ result: { data: { json: { status: "ok", heartbeatIntervalMs: 30_000 } } } });
  expect(direct).toMatchObject({ status: 200, json: [first] });
  expect(unbatched).toMatchObject({ status: 200, json: first });
});

test("the typed client joins, beats and leaves through it, with superjson types intact", async () => {
  const url = server.trpcUrl;
  const session = new AuthSession({
    url,
    delivery: "body",
    tokens: { accessToken: token, refreshToken: "", accessTokenExpiresAt: new Date(Date.now() + 600_000) },
  });
  const client = createApiClient({ url, session });
  const joined = await client.session.join.mutate({ sessionId, connectionId: "tab-bbbbbbbb" });
  expect(joined.joinedAt).toBeInstanceOf(Date);
  expect(joined.connections).toBe(2);
  expect(await client.session.heartbeat.mutate({ sessionId, connectionId: "tab-bbbbbbbb" })).toEqual({
    status: "ok",
    heartbeatIntervalMs: 30_000,
  });
  expect(await client.session.heartbeat.mutate({ sessionId, connectionId: "tab-unknown1" })).toMatchObject({
    status: "rejoin",
  });
  expect(await client.session.leave.mutate({ sessionId, connectionId: "tab-bbbbbbbb" })).toMatchObject({
    left: false,
    remainingConnections: 1,
  });
});

test("errors are tRPC's own answers: unauthenticated, invalid input, a cookie without Origin, an unknown session", async () => {
  const unauthenticated = await post("session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa") }, {});
  expect(unauthenticated.status).toBe(401);
  expect(unauthenticated.json).toMatchObject([
    { error: { json: { data: { code: "UNAUTHORIZED", reason: "UNAUTHENTICATED", path: "session.heartbeat" } } } },
  ]);

  const invalid = await post("session.heartbeat?batch=1", {
    0: { json: { sessionId: "not-a-uuid", connectionId: "x" } },
  });
  expect(invalid.status).toBe(400);
  expect(invalid.json).toMatchObject([{ error: { json: { data: { code: "BAD_REQUEST", reason: "INVALID_INPUT" } } } }]);

  const cookieWithoutOrigin = await post(
    "session.heartbeat?batch=1",
    { 0: input("tab-aaaaaaaa") },
    { cookie: `${ACCESS_COOKIE}=${token}` },
  );
  expect(cookieWithoutOrigin.status).toBe(403);
  expect(cookieWithoutOrigin.json).toMatchObject([{ error: { json: { data: { reason: "CSRF_ORIGIN_REJECTED" } } } }]);

  const unknownSession = await post("session.join?batch=1", {
    0: { json: { sessionId: randomUUID(), connectionId: "tab-cccccccc" } },
  });
  expect(unknownSession.status).toBe(404);
  expect(unknownSession.json).toMatchObject([{ error: { json: { data: { reason: "SESSION_NOT_FOUND" } } } }]);

  const malformed = await fetch(`${server.trpcUrl}/session.heartbeat`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: "{not json",
  });
  expect(malformed.status).toBe(400);
});

test("the answer's headers are tRPC's, plus the request id every answer carries", async () => {
  const direct = await post(
    "session.heartbeat?batch=1",
    { 0: input("tab-aaaaaaaa") },
    { authorization: `Bearer ${token}`, "x-request-id": "lb-hot.1" },
  );
  const viaTrpc = await post("session.heartbeat,session.heartbeat?batch=1", {
    0: input("tab-aaaaaaaa"),
    1: input("tab-aaaaaaaa"),
  });
  expect(direct.chunked).toBe(false);
  expect(viaTrpc.chunked).toBe(true);
  for (const name of ["content-type", "vary"]) expect(direct.headers.get(name)).toBe(viaTrpc.headers.get(name));
  expect(direct.headers.get("x-request-id")).toBe("lb-hot.1");
  expect(viaTrpc.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
});

test("it is logged and counted in the latency histogram like every request", async () => {
  const logger = server.services.logger;
  const level = logger.level;
  const lines: Record<string, unknown>[] = [];
  logger.level = "info";
  const info = logger.info;
  logger.info = ((line: Record<string, unknown>) => void lines.push(line)) as typeof logger.info;
  try {
    const answer = await post("session.heartbeat", input("tab-aaaaaaaa"), {
      authorization: `Bearer ${token}`,
      "x-request-id": "lb-hot.2",
    });
    expect(answer.status).toBe(200);
  } finally {
    logger.info = info;
    logger.level = level;
  }
  expect(lines).toContainEqual({
    requestId: "lb-hot.2",
    userId: expect.any(String),
    method: "POST",
    procedure: "session.heartbeat",
    status: 200,
    durationMs: expect.any(Number),
  });
  const metrics = await (await fetch(`${server.metricsUrl}/metrics`)).text();
  expect(metrics).toMatch(
    /livehall_http_request_duration_seconds_count\{route="trpc",method="POST",status="2xx"\} [1-9]/,
  );
});

test("a cookie-authenticated beat from the site's origin passes the CSRF rule; a foreign origin does not", async () => {
  const origin = server.url;
  server.services.config.appOrigins.push(origin);
  const cookie = `${ACCESS_COOKIE}=${token}`;
  const fromSite = await post("session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa") }, { cookie, origin });
  expect(fromSite).toMatchObject({
    status: 200,
    chunked: false,
    json: [{ result: { data: { json: { status: "ok" } } } }],
  });
  const foreign = await post(
    "session.heartbeat?batch=1",
    { 0: input("tab-aaaaaaaa") },
    { cookie, origin: "https://evil.example" },
  );
  expect(foreign).toMatchObject({
    status: 403,
    chunked: false,
    json: [{ error: { json: { data: { reason: "CSRF_ORIGIN_REJECTED" } } } }],
  });
});

test("anything but one plain call is left to tRPC, body and all", async () => {
  const auth = { authorization: `Bearer ${token}` };
  const cases = {
    // Another query parameter.
    extraQuery: await post("session.heartbeat?batch=1&x=1", { 0: input("tab-aaaaaaaa") }, auth),
    // A batch body that is not exactly one call.
    twoInOneBatch: await post(
      "session.heartbeat?batch=1",
      { 0: input("tab-aaaaaaaa"), 1: input("tab-aaaaaaaa") },
      auth,
    ),
    // No superjson envelope.
    noEnvelope: await post("session.heartbeat", { sessionId, connectionId: "tab-aaaaaaaa" }, auth),
    // A superjson payload that does not deserialize.
    badMeta: await post(
      "session.heartbeat",
      { json: { sessionId, connectionId: "tab-aaaaaaaa" }, meta: { values: { sessionId: ["nonsense"] } } },
      auth,
    ),
    // Not JSON, but tRPC's answer to it is.
    notJson: await post("session.heartbeat", "[1,", auth),
  };
  for (const [what, answer] of Object.entries(cases))
    expect({ what, chunked: answer.chunked }).toEqual({ what, chunked: true });
  // What tRPC answers for them is its own business; two known ones:
  expect(cases.noEnvelope.status).toBe(400);
  expect(cases.extraQuery).toMatchObject({ status: 200, json: [{ result: { data: { json: { status: "ok" } } } }] });
});

test("past a budget the direct route answers 429 RATE_LIMITED with the retry hint, in the data and as Retry-After", async () => {
  const [student] = await insertUsers(server.services, 1);
  const { token: own } = await signAccessToken(
    server.services.tokenKeys,
    { id: student!.id, role: "STUDENT", familyId: randomUUID() },
    new Date(),
    600_000,
  );
  const auth = { authorization: `Bearer ${own}` };
  expect((await post("session.leave?batch=1", { 0: input("tab-dddddddd") }, auth)).status).toBe(200);
  const refused = await post("session.leave?batch=1", { 0: input("tab-dddddddd") }, auth);
  expect(refused).toMatchObject({
    status: 429,
    chunked: false,
    json: [{ error: { json: { data: { code: "TOO_MANY_REQUESTS", reason: "RATE_LIMITED" } } } }],
  });
  const [{ error }] = refused.json as [{ error: { json: { data: { retryAfterMs: number } } } }];
  expect(error.json.data.retryAfterMs).toBeGreaterThan(99_000);
  expect(refused.headers.get("retry-after")).toBe(String(Math.ceil(error.json.data.retryAfterMs / 1000)));
});
