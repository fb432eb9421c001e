import { createDb } from "@livehall/db";
import { afterAll, expect, test } from "vitest";

// Twin of isolation-a.test.ts: both insert rows and assert exact counts while running in
// parallel, which only holds if each test file really has its own database.
const db = createDb(process.env.DATABASE_URL!);
afterAll(() => db.$disconnect());

test("a test file sees only its own rows (b)", async () => {
  const rows = 11;
  for (let round = 0; round < 5; round++) {
    await db.user.createMany({
      data: Array.from({ length: rows }, (_, i) => ({
        email: `iso-b-${round}-${i}@example.test`,
        name: "Isolation",
        passwordHash: "x",
      })),
    });
    expect(await db.user.count()).toBe(rows * (round + 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
