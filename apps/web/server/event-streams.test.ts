import { createCaller, createContext } from "@livehall/api";
import { asSessionUser, createSessionFixture, enrollUsers, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import superjson from "superjson";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

const MAX_STREAMS_PER_USER = 20;

let server: TestServer;
/** A server whose streams end after about half a second (STREAM_MAX_SECONDS). */
let shortLived: TestServer;

beforeAll(async () => {
  const env = { MAX_STREAMS_PER_USER: String(MAX_STREAMS_PER_USER) };
  [server, shortLived] = await Promise.all([
    startTestServer({ env }),
    startTestServer({ env: { ...env, STREAM_MAX_SECONDS: "0.5" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), shortLived?.close()]);
});

/** Everything a stream holds on an instance, and the Redis channels of this test file. */
async function heldResources(on: TestServer) {
  const { subscribers, channels, streams } = on.services.events.stats();
  const redisChannels = await on.services.redis.pubsub("CHANNELS", `${on.services.config.redisKeyPrefix}*`);
  return { subscribers, channels, streams, redisChannels };
}

const nothingHeld = { subscribers: 0, channels: 0, streams: 0, redisChannels: [] };

async function expectNothingHeld(on: TestServer) {
  await waitFor(
    async () => {
      const held = await heldResources(on);
      return held.subscribers + held.channels + held.streams + held.redisChannels.length === 0;
    },
    { what: "every stream's resources to be released" },
  );
  expect(await heldResources(on)).toEqual(nothingHeld);
}

afterEach(async () => {
  await expectNothingHeld(server);
  await expectNothingHeld(shortLived);
});

/**
 * A new student's access token, enrolled in `courseId` when given: a room's streams are for the
 * course's students (docs/decisions/020).
 */
async function accessToken(on: TestServer, email: string, courseId?: string): Promise<string> {
  const answer = await on.client().auth.signup.mutate({
    email,
    name: email.split("@")[0]!,
    password: "test server password",
    delivery: "body",
  });
  if (courseId) await enrollUsers(on.services, courseId, [answer.user]);
  return answer.tokens!.accessToken;
}

interface RawStream {
  /** Resolves with the first `data:` of the named SSE event (`message` for data events). */
  next(event: "message" | "serialized-error" | "return"): Promise<string>;
  /** Reads until `message` or `serialized-error`, whichever comes first. */
  first(): Promise<{ event: string; data: string }>;
  /** The SSE id of the last event read (tRPC's tracked id), if any. */
  lastId(): string | null;
  /** The client goes away (closes the connection). */
  close(): void;
}

/**
 * session.onParticipants (or `path`) as a raw SSE request, so the test controls exactly when the
 * client leaves; `lastEventId` is sent as the browser's EventSource sends it on a reconnect.
 */
async function openStream(
  on: TestServer,
  token: string,
  sessionId: string,
  { path = "session.onParticipants", lastEventId }: { path?: string; lastEventId?: string } = {},
): Promise<RawStream> {
  const abort = new AbortController();
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ sessionId })));
  const response = await fetch(`${on.trpcUrl}/${path}?input=${input}`, {
    headers: {
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
      ...(lastEventId ? { "last-event-id": lastEventId } : {}),
    },
    signal: abort.signal,
  });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let lastId: string | null = null;
  const read = async (wanted: string[]) => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
        const data = /^data: ?(.*)$/m.exec(block)?.[1] ?? "";
        lastId = /^id: ?(.*)$/m.exec(block)?.[1] ?? lastId;
        if (wanted.includes(event) && (event !== "message" || data)) return { event, data };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before ${wanted.join(" or ")}`);
      buffer += value;
    }
  };
  return {
    next: async (event) => (await read([event])).data,
    first: () => read(["message", "serialized-error"]),
    lastId: () => lastId,
    close: () => abort.abort(),
  };
}

describe("session.onRoom", () => {
  test("a reconnect with Last-Event-ID resumes after it; clients that leave leave nothing behind", async () => {
    const { session } = await createSessionFixture(server.services);
    const token = await accessToken(server, "room-visitor@example.test", session.courseId);
    const [joiner] = await insertUsers(server.services, 1);
    const first = await openStream(server, token, session.id, { path: "session.onRoom" });
    let again: RawStream | undefined;
    try {
      expect(JSON.parse(await first.next("message"))).toMatchObject({ json: { type: "snapshot", joined: false } });
      await createCaller(createContext(server.services, { user: asSessionUser(joiner!) })).session.join({
        sessionId: session.id,
        connectionId: "room-joiner-tab",
      });
      expect(JSON.parse(await first.next("message"))).toMatchObject({ json: { type: "participants" } });
      const position = first.lastId();
      expect(position).toMatch(/^\d+-\d+$/);
      first.close();
      again = await openStream(server, token, session.id, { path: "session.onRoom", lastEventId: position! });
      expect(JSON.parse(await again.next("message"))).toMatchObject({ json: { type: "resumed", joined: false } });
    } finally {
      first.close();
      again?.close();
    }
    await expectNothingHeld(server);
  });
});

describe("session.onParticipants", () => {
  test("500 subscriptions to unknown sessions answer SESSION_NOT_FOUND and leave nothing behind", async () => {
    const token = await accessToken(server, "unknown-sessions@example.test");
    const answers = await Promise.all(
      Array.from({ length: 500 }, async () => {
        const stream = await openStream(server, token, crypto.randomUUID());
        try {
          return await stream.first();
        } finally {
          stream.close();
        }
      }),
    );
    for (const answer of answers) {
      expect(answer.event).toBe("serialized-error");
      expect(JSON.parse(answer.data)).toMatchObject({
        json: { data: { code: "NOT_FOUND", httpStatus: 404, reason: "SESSION_NOT_FOUND" } },
      });
    }
    await expectNothingHeld(server);
  });

  test("clients that leave right after the snapshot leave nothing behind", async () => {
    const { session } = await createSessionFixture(server.services);
    const token = await accessToken(server, "brief-visitor@example.test", session.courseId);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const stream = await openStream(server, token, session.id);
        expect(JSON.parse(await stream.next("message"))).toMatchObject({ json: { type: "snapshot" } });
        stream.close();
      }),
    );
    await expectNothingHeld(server);
  });

  test("consumers that stop right after the snapshot (before reading on) leave nothing behind", async () => {
    const { session } = await createSessionFixture(server.services);
    const [user] = await insertUsers(server.services, 1);
    await enrollUsers(server.services, session.courseId, [user!]);
    const caller = createCaller(createContext(server.services, { user: asSessionUser(user!) }));
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const stream = (await caller.session.onParticipants({ sessionId: session.id }))[Symbol.asyncIterator]();
        expect((await stream.next()).value).toMatchObject({ type: "snapshot" });
        await stream.return?.(undefined);
      }),
    );
    await expectNothingHeld(server);
  });

  test("one user holds at most MAX_STREAMS_PER_USER streams: the next is refused with RATE_LIMITED until one closes", async () => {
    const { session } = await createSessionFixture(server.services);
    const token = await accessToken(server, "many-tabs@example.test", session.courseId);
    const open = await Promise.all(
      Array.from({ length: MAX_STREAMS_PER_USER }, () => openStream(server, token, session.id)),
    );
    for (const stream of open) expect((await stream.first()).event).toBe("message");

    const refused = await openStream(server, token, session.id);
    const answer = await refused.first();
    refused.close();
    expect(answer.event).toBe("serialized-error");
    expect(JSON.parse(answer.data)).toMatchObject({
      json: { data: { code: "TOO_MANY_REQUESTS", httpStatus: 429, reason: "RATE_LIMITED" } },
    });
    expect(JSON.parse(answer.data).json.data.retryAfterMs).toBeGreaterThan(0);

    // Another user is not affected, and a closed tab frees its slot.
    const other = await openStream(
      server,
      await accessToken(server, "one-tab@example.test", session.courseId),
      session.id,
    );
    expect((await other.first()).event).toBe("message");
    other.close();
    open.pop()!.close();
    await waitFor(() => server.services.events.stats().streams === MAX_STREAMS_PER_USER - 1, {
      what: "the closed tab's slot to be released",
    });
    const again = await openStream(server, token, session.id);
    expect((await again.first()).event).toBe("message");
    again.close();
    for (const stream of open) stream.close();
  });

  test("a stream ends by itself after STREAM_MAX_SECONDS, releasing what it held; subscribing again gives a fresh snapshot", async () => {
    const { session } = await createSessionFixture(shortLived.services);
    const token = await accessToken(shortLived, "long-stay@example.test", session.courseId);
    const first = await openStream(shortLived, token, session.id);
    expect(JSON.parse(await first.next("message"))).toMatchObject({ json: { type: "snapshot" } });
    await first.next("return");
    first.close();
    await expectNothingHeld(shortLived);

    const second = await openStream(shortLived, token, session.id);
    expect(JSON.parse(await second.next("message"))).toMatchObject({ json: { type: "snapshot" } });
    second.close();
  });
});
