import type { LoaderFunctionArgs } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { requireArea } from "../components/forbidden.server";

/**
 * /teach/sessions/<id>/attendance.csv — the attendance report as a CSV download (UTF-8, RFC 4180; the
 * host's row first, then one row per student), for the course's instructor or an admin.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  requireArea(request, context, "teach");
  try {
    const { filename, csv } = await context.caller.session.attendanceCsv({ sessionId: params.sessionId ?? "" });
    return new Response(csv, {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${filename}"`,
        "Cache-Control": "no-store",
      },
    });
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    if (error.code === "FORBIDDEN") throw new Response("This is not your session.", { status: 403 });
    if (error.code === "TOO_MANY_REQUESTS") {
      const retryAfterMs = (error.cause as { retryAfterMs?: number } | undefined)?.retryAfterMs ?? 10_000;
      throw new Response(error.message, {
        status: 429,
        headers: { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) },
      });
    }
    if (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST") {
      throw new Response("This session does not exist.", { status: 404 });
    }
    throw error;
  }
}
