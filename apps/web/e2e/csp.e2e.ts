import { afterAll, describe, expect, test } from "vitest";
import { expectNoProblems, signIn, startE2E, visit, type E2E } from "./harness";
import { createLiveSession, joinRoom } from "./room-helpers";

const started: E2E[] = [];
afterAll(() => Promise.all(started.map((e2e) => e2e.close())));

/**
 * The Content-Security-Policy allows only the scripts the server rendered (with this page's nonce):
 * every page must hydrate and run without the browser blocking anything, in the production build
 * and behind the Vite dev server (`npm run dev`, whose HMR client and styles are injected too).
 */
describe.each([
  { mode: "production build", dev: false },
  { mode: "Vite dev server", dev: true },
])("Content-Security-Policy, $mode", ({ dev }) => {
  test("signed-out pages, a student's room and the instructor's and admin's pages load with no violation", async () => {
    const e2e = await startE2E({ dev });
    started.push(e2e);
    const { session } = await createLiveSession(e2e.server.services, "CSP check");

    // Behind the dev server the first visit of each page compiles it, and Vite may reload the page
    // once it has optimized a newly found dependency: a generous deadline, not a timing.
    const deadline = { timeoutMs: dev ? 180_000 : 30_000 };
    const visitor = await e2e.newPage();
    for (const path of ["/sessions", "/login", "/signup"]) await visit(visitor, path, deadline);
    expectNoProblems(visitor);

    const student = await e2e.newPage();
    await signIn(student, "student@livehall.dev");
    await visit(student, `/sessions/${session.id}`, deadline);
    await joinRoom(student);
    // The room joined and its live stream (connect-src) delivered the student's own arrival.
    await expect.poll(() => student.getByTestId("participant-name").allTextContents()).toContain("Sam Student");
    expectNoProblems(student);

    const instructor = await e2e.newPage();
    await signIn(instructor, "instructor@livehall.dev");
    await visit(instructor, "/teach", deadline);
    expectNoProblems(instructor);

    const admin = await e2e.newPage();
    await signIn(admin, "admin@livehall.dev");
    await visit(admin, "/admin", deadline);
    expectNoProblems(admin);
  }, 300_000);
});
