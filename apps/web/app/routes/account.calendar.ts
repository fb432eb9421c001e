import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import type { CalendarSettingsAnswer } from "../components/account/calendar-settings";
import { actionErrorFrom } from "../components/teach/action-errors.server";
import { withRedirectTo } from "../lib/redirect";

/** Opening the address shows the account page, where these settings are. */
export const loader = () => redirect("/account");

/** A resource route answers with a Response of its own (single fetch's `data()` would drop the status). */
const answer = (body: CalendarSettingsAnswer, status = 200) => Response.json(body, { status });

/**
 * The account page's reminder and calendar-feed sections post here (components/account/): turn
 * reminders on or off, make a new feed link, or turn the feed off.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (!context.auth.user) throw redirect(withRedirectTo("/login", "/account"));
  const form = await request.formData();
  const intent = form.get("intent");
  try {
    switch (intent) {
      case "reminders": {
        const reminders = await context.caller.account.setSessionReminders({ enabled: form.get("enabled") === "on" });
        return answer({ ok: true, intent, reminders });
      }
      case "rotate-feed":
        return answer({ ok: true, intent, feed: await context.caller.account.rotateCalendarFeed() });
      case "turn-off-feed":
        return answer({ ok: true, intent, feed: await context.caller.account.turnOffCalendarFeed() });
      default:
        return answer({ ok: false, message: "Unknown action. Reload the page and try again." }, 400);
    }
  } catch (error) {
    const { errors, status } = actionErrorFrom(error);
    return answer({ ok: false, message: errors.form ?? "That did not work. Try again." }, status);
  }
}
