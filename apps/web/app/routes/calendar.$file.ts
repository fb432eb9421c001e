import type { LoaderFunctionArgs } from "@remix-run/node";
import { TRPCError } from "@trpc/server";

/**
 * /calendar/<token>.ics — a user's personal feed of their courses' sessions, fetched by calendar
 * apps without a sign-in: the secret link is the key (rotated or turned off on /account). Read-only.
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const file = params.file ?? "";
  const notFound = () =>
    new Response("This calendar link does not exist or was replaced. Copy the current one from your account page.", {
      status: 404,
      headers: { "Cache-Control": "no-store" },
    });
  if (!file.endsWith(".ics")) throw notFound();
  try {
    const { ics } = await context.caller.calendar.feed({ token: file.slice(0, -".ics".length) });
    return new Response(ics, {
      headers: {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": 'inline; filename="livehall.ics"',
        // Personal: never kept by a shared cache; and the link itself is not passed on.
        "Cache-Control": "private, no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
      },
    });
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) throw notFound();
    throw error;
  }
}
