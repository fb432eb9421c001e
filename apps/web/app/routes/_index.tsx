import { redirect } from "@remix-run/node";

/** The live-sessions page is the home page. */
export function loader() {
  return redirect("/sessions");
}
