import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";
import { CalendarIcon } from "../icons";
import { AbsoluteTime } from "../sessions/session-time";
import { Alert, Button, Card, buttonClasses, inputClasses } from "../ui";
import { ConfirmButton } from "../ui/confirm-dialog";
import { CALENDAR_SETTINGS_ACTION, type CalendarFeedSetting, type CalendarSettingsAnswer } from "./calendar-settings";

/** Calendar apps subscribe to webcal:// links in one click; the https address is the same feed. */
const webcal = (url: string) => url.replace(/^https?:/, "webcal:");

/**
 * The account page's calendar-feed section: a private link calendar apps subscribe to (every class
 * of the user's courses, kept up to date), with copy, a new link (the old one stops working) and off.
 */
export function CalendarFeed({ feed: initial }: { feed: CalendarFeedSetting }) {
  const fetcher = useFetcher<CalendarSettingsAnswer>({ key: "account-calendar-feed" });
  const titleId = useId();
  const linkId = useId();
  const feed = fetcher.data?.ok && fetcher.data.intent !== "reminders" ? fetcher.data.feed : initial;
  const busy = fetcher.state !== "idle" ? String(fetcher.formData?.get("intent")) : null;
  const failed = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.message : null;
  const submit = (intent: "rotate-feed" | "turn-off-feed") =>
    fetcher.submit({ intent }, { method: "post", action: CALENDAR_SETTINGS_ACTION });

  const [copied, setCopied] = useState(false);
  const copiedTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(copiedTimer.current), []);
  useEffect(() => setCopied(false), [feed.url]);
  const copy = async () => {
    if (!feed.url) return;
    await navigator.clipboard.writeText(feed.url);
    setCopied(true);
    clearTimeout(copiedTimer.current);
    copiedTimer.current = setTimeout(() => setCopied(false), 4_000);
  };

  return (
    <Card as="section" aria-labelledby={titleId} className="p-5 sm:p-6" data-testid="calendar-feed">
      <h2 id={titleId} className="text-lg font-semibold text-slate-900">
        Calendar feed
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Subscribe in Google Calendar, Apple Calendar or Outlook to see every class of your courses there, kept up to
        date when a class moves or is cancelled.
      </p>
      {feed.url ? (
        <>
          <label htmlFor={linkId} className="mt-4 block text-sm font-medium text-slate-800">
            Your private link
          </label>
          <div className="mt-1 flex flex-col gap-2 sm:flex-row">
            <input
              id={linkId}
              readOnly
              value={feed.url}
              onFocus={(event) => event.currentTarget.select()}
              className={`${inputClasses} font-mono text-xs`}
              data-testid="calendar-feed-url"
            />
            <Button variant="secondary" size="sm" onClick={() => void copy()}>
              {copied ? "Copied" : "Copy link"}
            </Button>
          </div>
          <p className="mt-2 text-sm text-slate-600" aria-live="polite">
            {copied
              ? "The link is on your clipboard. Paste it where your calendar app asks for a calendar from the web."
              : "Anyone with this link can see your classes: keep it to yourself."}
            {feed.createdAt ? (
              <>
                {" "}
                Made <AbsoluteTime date={new Date(feed.createdAt)} />.
              </>
            ) : null}
          </p>
          <div className="mt-4 flex flex-wrap gap-2">
            <a href={webcal(feed.url)} className={buttonClasses({ variant: "primary", size: "sm" })}>
              <CalendarIcon className="size-4" />
              Open in my calendar app
            </a>
            <ConfirmButton
              title="Make a new link?"
              description="The current link stops working at once, in every calendar that uses it. Subscribe again with the new one."
              confirmLabel="Make a new link"
              pending={busy === "rotate-feed"}
              onConfirm={() => submit("rotate-feed")}
            >
              Get a new link
            </ConfirmButton>
            <ConfirmButton
              title="Turn the calendar feed off?"
              description="The link stops working, and calendars that use it stop showing your classes. You can make a new link later."
              confirmLabel="Turn off"
              variant="ghost"
              pending={busy === "turn-off-feed"}
              onConfirm={() => submit("turn-off-feed")}
            >
              Turn off
            </ConfirmButton>
          </div>
        </>
      ) : (
        <Button className="mt-4" size="sm" pending={busy === "rotate-feed"} onClick={() => submit("rotate-feed")}>
          <CalendarIcon className="size-4" />
          Make my calendar link
        </Button>
      )}
      {failed ? (
        <Alert tone="error" title="That did not work" className="mt-4">
          <p>{failed}</p>
        </Alert>
      ) : null}
    </Card>
  );
}
