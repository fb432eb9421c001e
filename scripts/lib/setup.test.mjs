// Tests of start's demo-mode decision: demo accounts exist only when the operator gave no AUTH_SECRET.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEMO_PASSWORD, demoMode, demoNotice } from "./setup.mjs";

test("demo mode is exactly: no AUTH_SECRET from the operator", () => {
  assert.equal(demoMode({}), true);
  assert.equal(demoMode({ AUTH_SECRET: "" }), true);
  assert.equal(demoMode({ NODE_ENV: "production" }), true);
  assert.equal(demoMode({ AUTH_SECRET: "an-operator-secret-of-at-least-32-chars" }), false);
  assert.equal(demoMode({ AUTH_SECRET: "an-operator-secret-of-at-least-32-chars", NODE_ENV: "development" }), false);
});

test("the banner says which mode it is, and shows the demo password only in demo mode", () => {
  const demo = demoNotice(true).join("\n");
  assert.match(demo, /Demo mode \(no AUTH_SECRET set\)/);
  assert.ok(demo.includes(DEMO_PASSWORD));
  assert.ok(demo.includes("admin@livehall.dev"));
  const real = demoNotice(false).join("\n");
  assert.match(real, /AUTH_SECRET is set: not demo mode/);
  assert.ok(!real.includes(DEMO_PASSWORD));
  assert.ok(!real.includes("admin@livehall.dev"));
});
