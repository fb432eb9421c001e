import type { LoaderFunctionArgs } from "@remix-run/node";
import { orPageError, requireArea } from "../components/forbidden.server";

/**
 * /dev/mail/html?id=… — one outbox mail's HTML as a page of its own (admins, development and demo
 * mode only), under a policy that runs nothing and loads nothing: only its inline styles apply.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireArea(request, context, "admin");
  const { mails } = await orPageError("admin", context.caller.mail.outbox(), "There is no such page.");
  const mail = mails.find((candidate) => candidate.id === new URL(request.url).searchParams.get("id"));
  if (!mail) throw new Response("This mail is not in the outbox (any more).", { status: 404 });
  return new Response(mail.html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'",
      "Cache-Control": "no-store",
    },
  });
}
