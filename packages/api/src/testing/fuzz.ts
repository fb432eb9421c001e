import fc from "fast-check";
import { expect } from "vitest";
import type { Context } from "../context";
import { callOverHttp } from "./http";

const wrongValue = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  fc.string({ minLength: 600, maxLength: 20_000 }),
);

/**
 * Property checks that a procedure answers malformed input with 400 INVALID_INPUT (wrong types,
 * huge strings, extra fields) and any JSON value without a 500. `valid` is a correct
 * input whose fields are spoiled one at a time. Sent as raw JSON, as a hostile client would.
 */
export async function assertRejectsMalformedInput(options: {
  path: string;
  type: "query" | "mutation";
  valid: Record<string, unknown>;
  context: () => Context;
  numRuns?: number;
}): Promise<void> {
  const fields = Object.keys(options.valid);
  const call = (input: unknown) => callOverHttp({ path: options.path, type: options.type, input, raw: true, context: options.context });
  const numRuns = options.numRuns ?? 30;

  await fc.assert(
    fc.asyncProperty(
      fields.length > 0 ? fc.constantFrom(...fields) : fc.constant(null),
      wrongValue,
      fc.boolean(),
      fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !fields.includes(key)),
      async (field, value, addExtra, extraKey) => {
        const input: Record<string, unknown> = { ...options.valid };
        if (field !== null) input[field] = value;
        // With no fields to spoil, an extra field is what makes the input malformed.
        if (addExtra || field === null) input[extraKey] = "surprise";
        const answer = await call(input);
        expect(answer.status).toBe(400);
        expect(answer.error?.data.reason).toBe("INVALID_INPUT");
      },
    ),
    { numRuns },
  );

  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (input) => {
      // Some JSON values are valid inputs (`{}` for auth.logout); none may cause a 500.
      expect((await call(input)).status).toBeLessThan(500);
    }),
    { numRuns },
  );
}
