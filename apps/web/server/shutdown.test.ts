import { hashPassword, insertUsers } from "@livehall/api/testing";
import { waitFor } from "@livehall/testing";
import { expect, test } from "vitest";
import { startTestServer } from "./test-server";

test("closing the server (what SIGTERM does) lets 100 in-flight requests complete", async () => {
  const server = await startTestServer();
  const passwordHash = await hashPassword("shutdown password");
  const users = await insertUsers(server.services, 100, { passwordHash });
  const origin = server.url;
  server.services.config.appOrigins.push(origin);

  // Sign-ins are slow on purpose (argon2id), so all 100 are still in flight when shutdown starts.
  const requests = users.map((user) =>
    fetch(`${server.trpcUrl}/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ json: { email: user.email, password: "shutdown password", delivery: "body" } }),
    }),
  );
  let received = 0;
  server.http.on("request", (req) => void (req.url?.includes("auth.login") && received++));
  await waitFor(() => received === 100, { what: "all 100 requests to reach the server" });
  const closing = server.close();
  const answers = await Promise.all(requests);
  await closing;
  expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
  // New connections are refused once the server has stopped.
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
});
