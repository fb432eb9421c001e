import { hash, verify } from "@node-rs/argon2";
import { authCounters } from "../metrics";

// OWASP's argon2id recommendation (19 MiB, 2 iterations, 1 lane). `algorithm: 2` is Argon2id;
// the library's enum is a const enum that isolated modules cannot import.
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  authCounters.passwordHashes.inc({ operation: "hash" });
  return hash(password, ARGON2ID);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  authCounters.passwordHashes.inc({ operation: "verify" });
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed login, not a crash.
    return false;
  }
}

/** Verified against when the email is unknown, so both failures take the same time. */
export const DUMMY_PASSWORD_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$LxpkMqZiQzimzLue4lCHzw$xd4b53MkQUyz4c0LTqfU0ItkxNGCXSzzJ6PNuSs1tLg";
