// `npm run smoke -- --url https://livehall.example` — the manual deployment checks against any
// running deployment, through the same typed client teammates use: sign in, join twice → one
// participant, a refresh storm, leave, counts. One pass/fail line per check; exit 1 if any failed.
// Needs dependencies installed (it runs with tsx).
import { parseArgs } from "node:util";
import { AuthSession, createApiClient, type ApiClient } from "@livehall/api/client";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    email: { type: "string", default: "student@livehall.dev" },
    password: { type: "string", default: "livehall-demo" },
    "instructor-email": { type: "string", default: "instructor@livehall.dev" },
    "instructor-password": { type: "string", default: "livehall-demo" },
  },
});
if (!values.url) {
  console.error("✖ Usage: npm run smoke -- --url http://localhost:3000 [--email E --password P]");
  process.exit(2);
}
const trpcUrl = `${values.url.replace(/\/$/, "")}/api/trpc`;
// Scripts are not browsers: they authenticate with Bearer tokens, so the CSRF Origin rule does not apply.
const signIn = async (email: string, password: string) => {
  const session = new AuthSession({ url: trpcUrl, delivery: "body" });
  const client = createApiClient({ url: trpcUrl, session });
  session.update(await client.auth.login.mutate({ email, password, delivery: "body" }));
  return { client, session };
};

let failures = 0;
async function check<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  const startedAt = performance.now();
  try {
    const result = await run();
    console.log(`✔ ${name} (${Math.round(performance.now() - startedAt)} ms)`);
    return result;
  } catch (error) {
    failures++;
    console.log(`✖ ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function liveSessionId(student: ApiClient): Promise<{ id: string; end?: () => Promise<unknown> }> {
  const live = await student.session.list.query({ tab: "live", limit: 1 });
  if (live.items[0]) return { id: live.items[0].id };
  // Nothing live: the instructor account schedules and starts one for the check, and ends it after.
  const { client: instructor } = await signIn(values["instructor-email"]!, values["instructor-password"]!);
  const courses = await instructor.course.mine.query({ limit: 1 });
  assert(courses.items[0], "no live session, and the instructor account has no course to start one in");
  const created = await instructor.session.create.mutate({
    courseId: courses.items[0].id,
    title: "Smoke check",
    startsAt: new Date(),
    plannedDurationMinutes: 15,
  });
  // The signed-in account is added to the course (whatever its enrollment policy): the room is its students'.
  await instructor.course.addStudents.mutate({ courseId: courses.items[0].id, emails: [values.email!] });
  await instructor.session.start.mutate({ sessionId: created.id });
  return { id: created.id, end: () => instructor.session.end.mutate({ sessionId: created.id }) };
}

const connections = [`smoke-${Date.now()}-a`, `smoke-${Date.now()}-b`];
const signedIn = await check(`sign in as ${values.email}`, () => signIn(values.email!, values.password!));
if (signedIn) {
  const { client, session } = signedIn;
  const me = await check("auth.me answers the signed-in user", async () => {
    const answer = await client.auth.me.query();
    assert(answer.user.email === values.email, `auth.me answered ${answer.user.email}`);
    return answer.user;
  });
  const target = await check("a live session to join", () => liveSessionId(client));
  if (me && target) {
    const before = await client.session.participantCount.query({ sessionId: target.id });
    await check("join twice (two tabs) → one participant with two connections", async () => {
      await Promise.all(
        connections.map((connectionId) => client.session.join.mutate({ sessionId: target.id, connectionId })),
      );
      const { items: participants } = await client.session.participants.query({ sessionId: target.id });
      const mine = participants.filter((participant) => participant.userId === me.id);
      assert(mine.length === 1, `listed ${mine.length} times`);
      assert(mine[0]!.connections === 2, `${mine[0]!.connections} connections`);
      const count = await client.session.participantCount.query({ sessionId: target.id });
      assert(count.count === participants.length, `count ${count.count} but ${participants.length} listed`);
    });
    await check("heartbeat answers ok", async () => {
      const answer = await client.session.heartbeat.mutate({ sessionId: target.id, connectionId: connections[0]! });
      assert(answer.status === "ok", `answered ${answer.status}`);
    });
    await check("refresh storm: 20 concurrent refreshes of one token all succeed with the same new token", async () => {
      const refreshToken = session.tokenSet!.refreshToken;
      const raw = createApiClient({ url: trpcUrl, maxAttempts: 1 });
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => raw.auth.refresh.mutate({ refreshToken, delivery: "body" })),
      );
      const tokens = new Set(answers.map((answer) => answer.tokens?.refreshToken));
      assert(tokens.size === 1, `${tokens.size} different tokens`);
      session.update(answers[0]!);
      await client.auth.me.query();
    });
    await check("leave both tabs → no longer listed, count back", async () => {
      for (const connectionId of connections) await client.session.leave.mutate({ sessionId: target.id, connectionId });
      const { items: participants } = await client.session.participants.query({ sessionId: target.id });
      assert(!participants.some((participant) => participant.userId === me.id), "still listed");
      const after = await client.session.participantCount.query({ sessionId: target.id });
      assert(after.count <= before.count, `count ${after.count}, was ${before.count} before joining`);
    });
    await check("counts: session.stats agrees with the live tab", async () => {
      const [stats, live] = await Promise.all([
        client.session.stats.query(),
        client.session.list.query({ tab: "live", limit: 50 }),
      ]);
      const listed = live.items.reduce((sum, item) => sum + item.participantCount, 0);
      assert(
        stats.liveNow >= live.items.length,
        `stats says ${stats.liveNow} live, the tab lists ${live.items.length}`,
      );
      if (live.items.length < 50)
        assert(
          stats.participantsNow === listed,
          `stats says ${stats.participantsNow} participants, cards add up to ${listed}`,
        );
    });
    if (target.end) await check("end the session started for the check", target.end);
  }
  await check("sign out", () => client.auth.logout.mutate());
}
console.log(failures === 0 ? "smoke: all checks passed" : `smoke: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
