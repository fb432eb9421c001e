import { z } from "zod";
import {
  LINK_TOKEN_CHARACTERS,
  LINK_TOKEN_MAX_LENGTH,
  LINK_TOKEN_MIN_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "../limits";

/** NUL: Postgres text cannot store it, so a title or search with "\u0000" would fail in the database as a 500. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const NUL = /\u0000/;
/** Every control character (C0, DEL, C1): a line break or bell in a name would corrupt rosters and lists. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Trimmed user text of at most `max` characters. NUL is always refused; `singleLine` text (names)
 * refuses every control character. `label` starts the messages, written as the form names the
 * field: "Your name can be at most 100 characters.", "Title can be at most 200 characters."
 */
export function plainText(max: number, label: string, { singleLine = false }: { singleLine?: boolean } = {}) {
  const refused = singleLine ? CONTROL_CHARACTERS : NUL;
  return z
    .string()
    .trim()
    .max(max, { error: `${label} can be at most ${max.toLocaleString("en-US")} characters.` })
    .refine((value) => !refused.test(value), { error: `${label} contains a character that is not allowed.` });
}

/** The token of a mailed link. */
export const linkToken = z
  .string()
  .trim()
  .min(LINK_TOKEN_MIN_LENGTH, { error: "This link is incomplete. Open the whole link from the mail." })
  .max(LINK_TOKEN_MAX_LENGTH, { error: "This link is not one of ours." })
  .regex(LINK_TOKEN_CHARACTERS, { error: "This link is not one of ours." });

/** An account's address as sign-up, sign-in and the account page take it (trimmed, lowercase). */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: "Enter a valid email address." }).max(254));
export const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { error: `Password must be at least ${PASSWORD_MIN_LENGTH} characters.` })
  .max(PASSWORD_MAX_LENGTH, { error: `Password must be at most ${PASSWORD_MAX_LENGTH} characters.` });
