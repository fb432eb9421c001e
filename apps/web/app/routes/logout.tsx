import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { safeRedirect, withRedirectTo } from "../lib/redirect";

/**
 * Sign-out: ends this sign-in on the server (auth.logout clears the cookies on this response and
 * leaves every live session), then the sign-in page, which brings the user back to where they were.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  await context.caller.auth.logout();
  return redirect(withRedirectTo("/login", safeRedirect(form.get("redirectTo"))));
}

/** Signing out is a POST; a visit to /logout just goes home. */
export function loader() {
  return redirect("/sessions");
}
