import type { LoaderFunctionArgs } from "@remix-run/node";
import { TRPCError } from "@trpc/server";

/**
 * /sessions/<id>/calendar.ics — the session as a calendar file (RFC 5545), for whoever may see its
 * page. Opening it again after the session moved updates the event (same UID, higher SEQUENCE).
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  try {
    const { filename, ics } = await context.caller.calendar.session({ sessionId: params.sessionId ?? "" });
    return new Response(ics, {
      headers: {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": `attachment; filename="${filename}"`,
        "Cache-Control": "no-cache",
      },
    });
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) {
      throw new Response("This session does not exist.", { status: 404 });
    }
    throw error;
  }
}
