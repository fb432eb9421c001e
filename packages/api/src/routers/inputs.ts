import { z } from "zod";

/**
 * Trimmed user text of at most `max` characters. NUL is refused here because Postgres text cannot
 * store it: a title or search with "\u0000" would otherwise fail in the database as a 500.
 */
export function plainText(max: number, label: string) {
  return z
    .string()
    .trim()
    .max(max, { error: `${label} is at most ${max.toLocaleString("en-US")} characters.` })
    .refine((value) => !value.includes("\u0000"), { error: `${label} contains a character that is not allowed.` });
}
