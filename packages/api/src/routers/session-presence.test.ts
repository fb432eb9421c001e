import { afterAll, beforeAll, describe, test } from "vitest";
import { asSessionUser, createSessionFixture } from "../testing/fixtures";
import { assertRejectsMalformedInput } from "../testing/fuzz";
import { createTestServices, insertUsers } from "../testing/services";

const { services, context, close } = createTestServices();
afterAll(close);

let valid: { sessionId: string; connectionId: string };
let admin: ReturnType<typeof asSessionUser>;

beforeAll(async () => {
  const { session } = await createSessionFixture(services);
  const [user] = await insertUsers(services, 1, { role: "ADMIN" });
  admin = asSessionUser(user!);
  valid = { sessionId: session.id, connectionId: "fuzz-tab-0001" };
});

describe("session presence procedures never answer malformed input with a 500", () => {
  const procedures = [
    { path: "session.join", type: "mutation", connection: true },
    { path: "session.leave", type: "mutation", connection: true },
    { path: "session.heartbeat", type: "mutation", connection: true },
    { path: "session.participants", type: "query", connection: false },
    { path: "session.participantCount", type: "query", connection: false },
    { path: "session.end", type: "mutation", connection: false },
    { path: "session.cancel", type: "mutation", connection: false },
    { path: "session.cleanupParticipants", type: "mutation", connection: false },
  ] as const;

  for (const procedure of procedures) {
    test(procedure.path, async () => {
      await assertRejectsMalformedInput({
        path: procedure.path,
        type: procedure.type,
        valid: procedure.connection ? valid : { sessionId: valid.sessionId },
        context: () => context(admin),
      });
    });
  }
});
