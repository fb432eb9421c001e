import { CalendarIcon } from "../icons";
import { buttonClasses, cn } from "../ui";

export interface CalendarLinks {
  /** The session's .ics file (/sessions/<id>/calendar.ics). */
  ics: string;
  /** Google Calendar's event template for it. */
  google: string;
}

/**
 * "Add to calendar": the session's .ics file, which every calendar app opens (Apple, Outlook,
 * Thunderbird…), and Google Calendar's own form, which phones cannot reach through a downloaded file.
 */
export function AddToCalendar({
  links,
  title,
  className,
}: {
  links: CalendarLinks;
  title: string;
  className?: string;
}) {
  return (
    <div className={cn("flex flex-wrap items-center gap-2", className)} data-testid="add-to-calendar">
      <a
        href={links.ics}
        download
        className={buttonClasses({ variant: "secondary", size: "sm" })}
        aria-label={`Add to calendar: ${title} (.ics file)`}
      >
        <CalendarIcon className="size-4" />
        Add to calendar
      </a>
      <a
        href={links.google}
        target="_blank"
        rel="noopener noreferrer"
        className={buttonClasses({ variant: "ghost", size: "sm" })}
        aria-label={`Google Calendar: add ${title} (opens in a new tab)`}
      >
        Google Calendar
      </a>
    </div>
  );
}

/** The compact form for lists: the .ics file only. */
export function CalendarFileLink({ href, title }: { href: string; title: string }) {
  return (
    <a
      href={href}
      download
      className="inline-flex min-h-11 items-center gap-1.5 rounded-control px-2 text-sm font-medium text-brand-700 underline-offset-4 hover:underline"
      aria-label={`Add to calendar: ${title} (.ics file)`}
    >
      <CalendarIcon className="size-4" />
      Add to calendar
    </a>
  );
}
