import { afterAll, beforeAll, describe, test } from "vitest";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { createTestServices, insertUsers } from "../testing/services";

const { services, context, close } = createTestServices();
afterAll(close);

let valid: { sessionId: string; connectionId: string };
let person: { sessionId: string; userId: string };
let admin: ReturnType<typeof asSessionUser>;

beforeAll(async () => {
  const { session } = await createSessionFixture(services);
  const [user] = await insertUsers(services, 1, { role: "ADMIN" });
  admin = asSessionUser(user!);
  valid = { sessionId: session.id, connectionId: "fuzz-tab-0001" };
  const [student] = await insertUsers(services, 1);
  person = { sessionId: session.id, userId: student!.id };
});

describe("session presence procedures never answer malformed input with a 500", () => {
  const procedures = [
    { path: "session.join", type: "mutation", input: "connection" },
    { path: "session.leave", type: "mutation", input: "connection" },
    { path: "session.leave", type: "mutation", input: "leaveEverywhere" },
    { path: "session.heartbeat", type: "mutation", input: "connection" },
    { path: "session.participants", type: "query", input: "session" },
    { path: "session.participantCount", type: "query", input: "session" },
    { path: "session.end", type: "mutation", input: "session" },
    { path: "session.cancel", type: "mutation", input: "session" },
    { path: "session.cleanupParticipants", type: "mutation", input: "session" },
    { path: "session.removeParticipant", type: "mutation", input: "person" },
    { path: "session.readmitParticipant", type: "mutation", input: "person" },
    { path: "session.removals", type: "query", input: "session" },
    { path: "session.access", type: "query", input: "session" },
  ] as const;

  for (const procedure of procedures) {
    test(`${procedure.path} (${procedure.input})`, async () => {
      const inputs = {
        connection: valid,
        leaveEverywhere: { ...valid, everywhere: true },
        session: { sessionId: valid.sessionId },
        person,
      };
      await assertRejectsMalformedInput({
        path: procedure.path,
        type: procedure.type,
        valid: inputs[procedure.input],
        // `everywhere: false` is a valid value, not a malformed one.
        lenient: { everywhere: (value) => typeof value === "boolean" },
        context: () => context(admin),
      });
    });
  }
});
