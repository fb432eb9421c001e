import { DESCRIPTION_MAX_LENGTH, SESSION_TITLE_MAX_LENGTH } from "@livehall/api/limits";
import { Form } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { useHydrated } from "../../lib/use-hydrated";
import { Alert, Button, Field } from "../ui";
import { TextareaField } from "../ui/textarea";
import { localInputToIso, toLocalInputValue } from "./format";

export const DURATION_MIN = 5;
export const DURATION_MAX = 600;
/** A weekly series: 2 to 26 sessions (the API's SERIES_MIN and SERIES_MAX). */
export const SERIES_MIN = 2;
export const SERIES_MAX = 26;

/** The next full hour from now, at least 15 minutes away (a sensible default start). */
function nextStart(): Date {
  const date = new Date(Date.now() + 15 * 60_000);
  date.setMinutes(0, 0, 0);
  date.setHours(date.getHours() + 1);
  return date;
}

/** The browser's IANA time zone ("Europe/Berlin"), or "" when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return "";
  }
}

type FormKind = "schedule" | "series" | "update";

const TEXT: Record<FormKind, { label: string; submit: string; pending: string }> = {
  schedule: { label: "Schedule a session", submit: "Schedule session", pending: "Scheduling…" },
  series: { label: "Schedule a weekly series", submit: "Schedule series", pending: "Scheduling…" },
  update: { label: "Edit session", submit: "Save changes", pending: "Saving…" },
};

export interface SessionFormProps {
  kind: FormKind;
  errors?: { form?: string; fields?: Partial<Record<string, string>> } | undefined;
  /** What to show: the values sent back with an error, or the session being edited. */
  values?: Partial<Record<string, string>> | undefined;
  /** The start to show (ISO), read in the browser's time zone once it runs; else the next full hour. */
  startsAt?: string | undefined;
  pending: boolean;
  /** A new key starts the form again from `values` (after a success). */
  resetKey: string | number;
}

/**
 * A session's title, description, start (a date and time in the instructor's own time zone, sent as
 * an ISO instant with the zone's name) and planned length in minutes; for a series also the number
 * of weeks. Scheduling, a weekly series and editing share it.
 */
export function SessionForm({ resetKey, ...props }: SessionFormProps) {
  return <SessionFields key={resetKey} {...props} />;
}

function SessionFields({ kind, errors, values, startsAt, pending }: Omit<SessionFormProps, "resetKey">) {
  const hydrated = useHydrated();
  const [local, setLocal] = useState(values?.startsAtLocal ?? "");
  const [min, setMin] = useState<string | undefined>(undefined);
  const summary = useRef<HTMLDivElement>(null);
  const text = TEXT[kind];

  // In the browser: show the start in the instructor's zone (or propose the next full hour), and
  // refuse dates in the past in the picker.
  useEffect(() => {
    setMin(toLocalInputValue(new Date()));
    setLocal((current) => current || toLocalInputValue(startsAt ? new Date(startsAt) : nextStart()));
  }, [startsAt]);
  useEffect(() => {
    if (!errors) return;
    if (summary.current) summary.current.focus();
    else document.querySelector<HTMLElement>(`form[data-intent='${kind}'] [aria-invalid='true']`)?.focus();
  }, [errors, kind]);

  const zone = hydrated ? browserTimeZone() : "";
  // A refused zone has no field of its own: it is about the whole form.
  const formError = errors?.form ?? errors?.fields?.timeZone;
  return (
    <Form method="post" noValidate className="space-y-4" data-intent={kind} aria-label={text.label}>
      <input type="hidden" name="intent" value={kind} />
      {/* The instant the browser reads the local date and time as; without JavaScript the server reads it as UTC. */}
      <input type="hidden" name="startsAt" value={hydrated ? localInputToIso(local) : ""} />
      <input type="hidden" name="timeZone" value={zone} />
      {formError ? (
        <Alert ref={summary} tone="error">
          {formError}
        </Alert>
      ) : null}
      <Field
        label="Session title"
        name="title"
        required
        maxLength={SESSION_TITLE_MAX_LENGTH}
        defaultValue={values?.title}
        error={errors?.fields?.title}
        autoComplete="off"
      />
      <div className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_9rem] lg:grid-cols-1">
        <Field
          label={kind === "series" ? "First session starts at" : "Starts at"}
          name="startsAtLocal"
          type="datetime-local"
          required
          min={min}
          value={local}
          onChange={(event) => setLocal(event.currentTarget.value)}
          error={errors?.fields?.startsAt}
          hint={zone ? `Your time zone: ${zone.replace(/_/g, " ")}` : "In your time zone"}
        />
        <Field
          label="Length (minutes)"
          name="plannedDurationMinutes"
          type="number"
          inputMode="numeric"
          required
          min={DURATION_MIN}
          max={DURATION_MAX}
          step={5}
          defaultValue={values?.plannedDurationMinutes ?? "60"}
          error={errors?.fields?.plannedDurationMinutes}
        />
      </div>
      {kind === "series" ? (
        <Field
          label="Number of weeks"
          name="count"
          type="number"
          inputMode="numeric"
          required
          min={SERIES_MIN}
          max={SERIES_MAX}
          defaultValue={values?.count ?? "4"}
          error={errors?.fields?.count}
          hint={`One session a week at the same time of day, ${SERIES_MIN} to ${SERIES_MAX} weeks.`}
        />
      ) : null}
      <TextareaField
        label="Description"
        name="description"
        rows={3}
        maxLength={DESCRIPTION_MAX_LENGTH}
        defaultValue={values?.description}
        error={errors?.fields?.description}
        hint={
          kind === "series"
            ? "The same for every session of the series. Optional."
            : "What the session covers. Optional."
        }
      />
      <Button type="submit" pending={pending} className="w-full sm:w-auto">
        {pending ? text.pending : text.submit}
      </Button>
    </Form>
  );
}
