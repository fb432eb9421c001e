import type { AnyTRPCRouter } from "@trpc/server";
import fc from "fast-check";
import { expect } from "vitest";
import type { Context } from "../context";
import { callOverHttp } from "./http";

const baseWrongValues = [
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  fc.string({ minLength: 600, maxLength: 20_000 }),
];

export interface MalformedInputOptions {
  path: string;
  type: "query" | "mutation";
  /** A correct input whose fields are spoiled one at a time. */
  valid: Record<string, unknown>;
  context: () => Context;
  /** Fields whose absence must be refused (a "missing" spoil is tried for these). */
  required?: string[];
  /** Per field: "wrong" values that are in fact valid there (those draws are skipped). */
  lenient?: Record<string, (value: unknown) => boolean>;
  /** More wrong values worth trying for this procedure ("not-a-uuid", NUL…). */
  extraWrongValues?: unknown[];
  router?: AnyTRPCRouter;
  numRuns?: number;
}

/**
 * Property checks that a procedure answers malformed input with 400 INVALID_INPUT (a wrong value,
 * a missing required field or an extra field) and any JSON value without a 500. Sent as raw JSON,
 * as a hostile client would.
 */
export async function assertRejectsMalformedInput(options: MalformedInputOptions): Promise<void> {
  const fields = Object.keys(options.valid);
  const required = options.required ?? [];
  const call = (input: unknown) =>
    callOverHttp({
      path: options.path,
      type: options.type,
      input,
      raw: true,
      context: options.context,
      ...(options.router ? { router: options.router } : {}),
    });
  const numRuns = options.numRuns ?? 30;
  const wrongValue = fc.oneof(
    ...baseWrongValues,
    ...(options.extraWrongValues?.length ? [fc.constantFrom(...options.extraWrongValues)] : []),
  );
  const spoils = ["wrong", ...(required.length ? ["missing"] : []), "extra"] as const;

  await fc.assert(
    fc.asyncProperty(
      fields.length > 0 ? fc.constantFrom(...fields) : fc.constant(null),
      wrongValue,
      // With no fields to spoil, an extra field is what makes the input malformed.
      fields.length > 0 ? fc.constantFrom(...spoils) : fc.constant("extra" as const),
      fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !fields.includes(key) && key !== "__proto__"),
      async (field, value, spoil, extraKey) => {
        if (spoil === "wrong" && field !== null && options.lenient?.[field]?.(value)) return;
        if (spoil === "missing" && (field === null || !required.includes(field))) return;
        const input: Record<string, unknown> = { ...options.valid };
        if (spoil === "wrong" && field !== null) input[field] = value;
        if (spoil === "missing" && field !== null) delete input[field];
        if (spoil === "extra") input[extraKey] = value;
        const answer = await call(input);
        expect(answer.status, JSON.stringify(answer.error)).toBe(400);
        expect(answer.error?.data.reason).toBe("INVALID_INPUT");
      },
    ),
    { numRuns },
  );

  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (input) => {
      // Some JSON values are valid inputs (`{}` for auth.logout); none may cause a 500.
      const answer = await call(input);
      expect(answer.status, JSON.stringify(answer.error)).toBeLessThan(500);
    }),
    { numRuns },
  );
}
