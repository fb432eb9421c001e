import { freePort } from "@livehall/testing";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { hashPassword } from "./auth/passwords";
import { signAccessToken } from "./auth/tokens";
import { AuthSession, createApiClient } from "./client";
import { startApiServer } from "./testing/standalone-server";
import { createTestServices, insertUsers } from "./testing/services";

const { services, close } = createTestServices({ ACCESS_TOKEN_TTL_SECONDS: "60" });
let server: Awaited<ReturnType<typeof startApiServer>>;
const PASSWORD = "client password";
let email: string;

beforeAll(async () => {
  server = await startApiServer(services);
  const [user] = await insertUsers(services, 1, { passwordHash: await hashPassword(PASSWORD), emailPrefix: "client" });
  email = user!.email;
});
afterAll(async () => {
  await server.close();
  await close();
});

const fastBackoff = { baseMs: 5, capMs: 20 };

/** A fetch that fails like a dropped network `failures` times, then behaves. */
function flakyFetch(failures: number) {
  let remaining = failures;
  const calls = { total: 0 };
  const fetchImpl: typeof fetch = async (input, init) => {
    calls.total++;
    if (remaining > 0) {
      remaining--;
      throw new TypeError("fetch failed");
    }
    return fetch(input, init);
  };
  return { fetchImpl, calls };
}

async function signedInClient(options: { fetchImpl?: typeof fetch; onSignedOut?: (reason: string) => void } = {}) {
  const session = new AuthSession({
    url: server.url,
    delivery: "body",
    backoff: fastBackoff,
    ...(options.onSignedOut ? { onSignedOut: options.onSignedOut } : {}),
    ...(options.fetchImpl ? { fetch: options.fetchImpl } : {}),
  });
  const client = createApiClient({
    url: server.url,
    session,
    backoff: fastBackoff,
    ...(options.fetchImpl ? { fetch: options.fetchImpl } : {}),
  });
  session.update(
    await createApiClient({ url: server.url }).auth.login.mutate({ email, password: PASSWORD, delivery: "body" }),
  );
  return { client, session };
}

describe("the typed client", () => {
  test("network failing 3 times then recovering: the call completes and nobody is signed out", async () => {
    const onSignedOut = vi.fn();
    const { session } = await signedInClient({ onSignedOut });
    const failing = flakyFetch(3);
    const client = createApiClient({ url: server.url, session, fetch: failing.fetchImpl, backoff: fastBackoff });
    const me = await client.auth.me.query();
    expect(me.user.email).toBe(email);
    expect(failing.calls.total).toBe(4);
    expect(onSignedOut).not.toHaveBeenCalled();
  });

  test("an expired access token is refreshed once for parallel calls, and the calls are retried", async () => {
    const { client, session } = await signedInClient();
    const held = session.tokenSet!;
    const claims = decodeJwt(held.accessToken);
    const user = { id: claims.sub!, role: claims.role as "STUDENT", familyId: claims.fam as string };
    // An access token the server considers expired, while the client still believes it is fresh.
    const stale = await signAccessToken(services.tokenKeys, user, new Date(Date.now() - 120_000), 60_000);
    session.update({
      accessTokenExpiresAt: new Date(Date.now() + 60_000),
      tokens: { accessToken: stale.token, refreshToken: held.refreshToken },
    });

    const [first, courses, third] = await Promise.all([
      client.auth.me.query(),
      client.course.list.query(),
      client.auth.me.query(),
    ]);
    expect(first.user.email).toBe(email);
    expect(third.user.email).toBe(email);
    expect(courses.items).toEqual([]);
    // One rotation for the family: the login token and exactly one successor.
    expect(await services.db.refreshToken.count({ where: { familyId: user.familyId } })).toBe(2);
    expect(session.tokenSet!.refreshToken).not.toBe(held.refreshToken);
  });

  test("a revoked sign-in calls onSignedOut exactly once, however many calls fail", async () => {
    const onSignedOut = vi.fn();
    const { client } = await signedInClient({ onSignedOut });
    await client.auth.logoutAll.mutate();
    const outcomes = await Promise.allSettled([
      client.auth.me.query(),
      client.auth.me.query(),
      client.course.list.query(),
      client.auth.me.query(),
    ]);
    // course.list is public: it still answers; the three authenticated calls fail.
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "fulfilled", "rejected"]);
    expect(onSignedOut).toHaveBeenCalledTimes(1);
    expect(onSignedOut).toHaveBeenCalledWith("SESSION_REVOKED");
  });

  test("a server that is down does not sign anyone out", async () => {
    const onSignedOut = vi.fn();
    const { session } = await signedInClient({ onSignedOut });
    const offline = createApiClient({
      url: `http://127.0.0.1:${await freePort()}/api/trpc`,
      session,
      backoff: fastBackoff,
      maxAttempts: 3,
    });
    await expect(offline.auth.me.query()).rejects.toThrow();
    expect(onSignedOut).not.toHaveBeenCalled();
    expect(session.signedOut).toBeNull();
  });
});
