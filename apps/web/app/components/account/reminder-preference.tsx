import { useFetcher } from "@remix-run/react";
import { useId } from "react";
import { Alert, Card, cn } from "../ui";
import { CALENDAR_SETTINGS_ACTION, type CalendarSettingsAnswer, type ReminderSetting } from "./calendar-settings";

/**
 * The account page's reminder section: one switch for the "starts in 15 minutes" mails. The switch
 * shows the choice at once (while it is saved) and goes back if saving fails.
 */
export function ReminderPreference({ setting }: { setting: ReminderSetting }) {
  const fetcher = useFetcher<CalendarSettingsAnswer>({ key: "account-reminders" });
  const titleId = useId();
  const descriptionId = useId();
  const saved = fetcher.data?.ok && fetcher.data.intent === "reminders" ? fetcher.data.reminders : setting;
  const pending = fetcher.formData?.get("intent") === "reminders";
  const enabled = pending ? fetcher.formData?.get("enabled") === "on" : saved.enabled;
  const failed = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.message : null;

  return (
    <Card as="section" aria-labelledby={titleId} className="p-5 sm:p-6" data-testid="reminder-preference">
      <div className="flex items-start justify-between gap-4">
        <div>
          <h2 id={titleId} className="text-lg font-semibold text-slate-900">
            Class reminders
          </h2>
          <p id={descriptionId} className="mt-1 text-sm text-slate-600">
            An e-mail {saved.leadMinutes} minutes before each class of your courses starts, with the link to join.
            Cancellations are always mailed.
          </p>
        </div>
        <button
          type="button"
          role="switch"
          aria-checked={enabled}
          aria-labelledby={titleId}
          aria-describedby={descriptionId}
          onClick={() =>
            fetcher.submit(
              { intent: "reminders", enabled: enabled ? "off" : "on" },
              { method: "post", action: CALENDAR_SETTINGS_ACTION },
            )
          }
          className={cn(
            "relative inline-flex h-11 w-16 shrink-0 items-center rounded-full p-1 transition focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600",
            enabled ? "bg-brand-600" : "bg-slate-400",
          )}
        >
          <span
            aria-hidden="true"
            className={cn(
              "size-7 rounded-full bg-white shadow transition-transform",
              enabled ? "translate-x-7" : "translate-x-0",
            )}
          />
        </button>
      </div>
      <p className="mt-3 text-sm font-medium text-slate-800" aria-live="polite">
        {enabled ? "Reminders are on." : "Reminders are off."}
      </p>
      {!saved.emailVerified && enabled ? (
        <Alert tone="warning" title="Confirm your e-mail address first" className="mt-4">
          <p>
            Reminders go only to confirmed addresses: open the link we mailed you, or send it again under “E-mail
            address” above.
          </p>
        </Alert>
      ) : null}
      {failed ? (
        <Alert tone="error" title="Your choice was not saved" className="mt-4">
          <p>{failed}</p>
        </Alert>
      ) : null}
    </Card>
  );
}
