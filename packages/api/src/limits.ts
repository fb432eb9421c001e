/**
 * The longest text each field takes. Browser-safe (no server imports), so the forms' maxLength and
 * the API's zod schemas use the same numbers.
 */
export const NAME_MAX_LENGTH = 100;
export const COURSE_TITLE_MAX_LENGTH = 120;
/** A course's address: /courses/<slug>. */
export const COURSE_SLUG_MAX_LENGTH = 60;
export const SESSION_TITLE_MAX_LENGTH = 200;
/** Course and session descriptions. */
export const DESCRIPTION_MAX_LENGTH = 5_000;
/** The sessions search and the admin's user search. */
export const SEARCH_MAX_LENGTH = 100;
export const RATING_COMMENT_MAX_LENGTH = 2_000;
/** A student's note with a request to teach, and the admin's message with the answer. */
export const ROLE_REQUEST_NOTE_MAX_LENGTH = 500;
export const ROLE_REQUEST_MESSAGE_MAX_LENGTH = 500;

/** The token of a mailed link: base64url of 32 bytes, with a little slack either way. */
export const LINK_TOKEN_MIN_LENGTH = 20;
export const LINK_TOKEN_MAX_LENGTH = 200;
export const LINK_TOKEN_CHARACTERS = /^[A-Za-z0-9_-]+$/;

/** Whether a page's ?token= can be a mailed link's token (a malformed one needs no call). */
export function isLinkToken(value: string): boolean {
  return (
    value.length >= LINK_TOKEN_MIN_LENGTH && value.length <= LINK_TOKEN_MAX_LENGTH && LINK_TOKEN_CHARACTERS.test(value)
  );
}

/**
 * Whether a time can be a page cursor (the list of users, older chat messages): 1970 to 9999. An ISO
 * check alone lets "0000-01-01" through, which Postgres refuses (22008): refused as input instead.
 */
export function isCursorTime(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1970 && year <= 9999;
}

/** A chat message or question (plain text). */
export const CHAT_MAX_LENGTH = 2_000;
/** The reactions a participant can send in a room, in the order the room shows them. */
export const REACTIONS = ["👍", "❤️", "😂", "🎉", "👏", "❓"] as const;

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./auth/password-rules";
