import { createContext, useContext } from "react";

/**
 * The page's Content-Security-Policy nonce: provided on the server (entry.server.tsx), empty in the
 * browser, where the scripts already ran and browsers hide the attribute's value anyway.
 */
export const NonceContext = createContext("");

export function useNonce(): string {
  return useContext(NonceContext);
}
