import { randomUUID } from "node:crypto";
import { ACCESS_COOKIE } from "@livehall/api";
import { AuthSession, createApiClient } from "@livehall/api/client";
import { createSessionFixture, insertUsers, signAccessToken } from "@livehall/api/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

// The presence mutations take a direct route past tRPC's Fetch-API adapter (hot-mutations.server.ts);
// these tests hold it to answering exactly as tRPC does, and to leaving every error to tRPC.
let server: TestServer;
let sessionId: string;
let token: string;

beforeAll(async () => {
  server = await startTestServer();
  const { session } = await createSessionFixture(server.services);
  sessionId = session.id;
  const [student] = await insertUsers(server.services, 1);
  ({ token } = await signAccessToken(server.services.tokenKeys, { id: student!.id, role: "STUDENT", familyId: randomUUID() }, new Date(), 600_000));
});
afterAll(() => server?.close());

async function post(path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) {
  const response = await fetch(`${server.trpcUrl}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, chunked: response.headers.get("transfer-encoding") === "chunked", json: (await response.json()) as unknown };
}

const input = (connectionId: string) => ({ json: { sessionId, connectionId } });

test("a heartbeat answers in tRPC's envelope, batched or not, the same as tRPC itself answers it", async () => {
  await post("session.join?batch=1", { 0: input("tab-aaaaaaaa") });
  const direct = await post("session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa") });
  const unbatched = await post("session.heartbeat", input("tab-aaaaaaaa"));
  // Two calls in one batch are not the plain case: tRPC answers them.
  const viaTrpc = await post("session.heartbeat,session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa"), 1: input("tab-aaaaaaaa") });

  expect(viaTrpc.chunked).toBe(true);
  expect(direct.chunked).toBe(false);
  const [first] = viaTrpc.json as unknown[];
  expect(first).toEqual({ result: { data: { json: { status: "ok", heartbeatIntervalMs: 30_000 } } } });
  expect(direct).toMatchObject({ status: 200, json: [first] });
  expect(unbatched).toMatchObject({ status: 200, json: first });
});

test("the typed client joins, beats and leaves through it, with superjson types intact", async () => {
  const url = server.trpcUrl;
  const session = new AuthSession({ url, delivery: "body", tokens: { accessToken: token, refreshToken: "", accessTokenExpiresAt: new Date(Date.now() + 600_000) } });
  const client = createApiClient({ url, session });
  const joined = await client.session.join.mutate({ sessionId, connectionId: "tab-bbbbbbbb" });
  expect(joined.joinedAt).toBeInstanceOf(Date);
  expect(joined.connections).toBe(2);
  expect(await client.session.heartbeat.mutate({ sessionId, connectionId: "tab-bbbbbbbb" })).toEqual({ status: "ok", heartbeatIntervalMs: 30_000 });
  expect(await client.session.heartbeat.mutate({ sessionId, connectionId: "tab-unknown1" })).toMatchObject({ status: "rejoin" });
  expect(await client.session.leave.mutate({ sessionId, connectionId: "tab-bbbbbbbb" })).toMatchObject({ left: false, remainingConnections: 1 });
});

test("errors are tRPC's own answers: unauthenticated, invalid input, a cookie without Origin, an unknown session", async () => {
  const unauthenticated = await post("session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa") }, {});
  expect(unauthenticated.status).toBe(401);
  expect(unauthenticated.json).toMatchObject([{ error: { json: { data: { code: "UNAUTHORIZED", reason: "UNAUTHENTICATED", path: "session.heartbeat" } } } }]);

  const invalid = await post("session.heartbeat?batch=1", { 0: { json: { sessionId: "not-a-uuid", connectionId: "x" } } });
  expect(invalid.status).toBe(400);
  expect(invalid.json).toMatchObject([{ error: { json: { data: { code: "BAD_REQUEST", reason: "INVALID_INPUT" } } } }]);

  const cookieWithoutOrigin = await post("session.heartbeat?batch=1", { 0: input("tab-aaaaaaaa") }, { cookie: `${ACCESS_COOKIE}=${token}` });
  expect(cookieWithoutOrigin.status).toBe(403);
  expect(cookieWithoutOrigin.json).toMatchObject([{ error: { json: { data: { reason: "CSRF_ORIGIN_REJECTED" } } } }]);

  const unknownSession = await post("session.join?batch=1", { 0: { json: { sessionId: randomUUID(), connectionId: "tab-cccccccc" } } });
  expect(unknownSession.status).toBe(404);
  expect(unknownSession.json).toMatchObject([{ error: { json: { data: { reason: "SESSION_NOT_FOUND" } } } }]);

  const malformed = await fetch(`${server.trpcUrl}/session.heartbeat`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: "{not json",
  });
  expect(malformed.status).toBe(400);
});
