/** Password length rules, browser-safe so sign-up forms show the same numbers the API enforces. */
export const PASSWORD_MIN_LENGTH = 8;
/** Bounded so a huge input cannot make argon2 burn CPU. */
export const PASSWORD_MAX_LENGTH = 256;
