import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { authSession, listenToOtherTabs, onSignedOut, syncAccessTokenExpiry } from "./api.client";

/**
 * Keeps the page's signed-in state true in every tab: a sign-out seen by this tab (the server said
 * so, or another tab of this browser did) reloads the page data, so the header and the room change at
 * once; and a page that was signed in and now is not (Sign out here) tells the other tabs.
 */
export function useSignOutSync(signedIn: boolean, accessTokenExpiresAt: string | null): void {
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const wasSignedIn = useRef(signedIn);

  useEffect(() => {
    listenToOtherTabs();
    return onSignedOut(() => revalidate.current());
  }, []);

  useEffect(() => {
    if (wasSignedIn.current && !signedIn) authSession().signOut("SIGNED_OUT");
    wasSignedIn.current = signedIn;
  }, [signedIn]);

  // The access token's expiry as the server last said (refresh ahead of it); a new sign-in in this
  // tab also ends its signed-out state.
  useEffect(() => {
    if (signedIn) syncAccessTokenExpiry(accessTokenExpiresAt);
  }, [signedIn, accessTokenExpiresAt]);
}
