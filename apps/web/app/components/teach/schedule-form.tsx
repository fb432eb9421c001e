import { Form } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { useHydrated } from "../../lib/use-hydrated";
import { Alert, Button, Field } from "../ui";
import { TextareaField } from "../ui/textarea";
import { localInputToIso, toLocalInputValue } from "./format";

export const DURATION_MIN = 5;
export const DURATION_MAX = 600;

/** The next full hour from now, at least 15 minutes away (a sensible default start). */
function nextStart(): Date {
  const date = new Date(Date.now() + 15 * 60_000);
  date.setMinutes(0, 0, 0);
  date.setHours(date.getHours() + 1);
  return date;
}

function timeZoneName(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return "";
  }
}

export interface ScheduleFormProps {
  errors?: { form?: string; fields?: Partial<Record<string, string>> } | undefined;
  values?: Record<string, string> | undefined;
  pending: boolean;
  resetKey: string | number;
}

/**
 * Schedules a session: title, description, start (a date and time in the instructor's own time zone,
 * sent as an ISO instant) and planned length in minutes.
 */
export function ScheduleSessionForm({ errors, values, pending, resetKey }: ScheduleFormProps) {
  return <ScheduleFields key={resetKey} errors={errors} values={values} pending={pending} />;
}

function ScheduleFields({ errors, values, pending }: Omit<ScheduleFormProps, "resetKey">) {
  const hydrated = useHydrated();
  const [local, setLocal] = useState(values?.startsAtLocal ?? "");
  const [min, setMin] = useState<string | undefined>(undefined);
  const summary = useRef<HTMLDivElement>(null);

  // In the browser: propose the next full hour and refuse dates in the past in the picker.
  useEffect(() => {
    setMin(toLocalInputValue(new Date()));
    setLocal((current) => current || toLocalInputValue(nextStart()));
  }, []);
  useEffect(() => {
    if (!errors) return;
    if (summary.current) summary.current.focus();
    else document.querySelector<HTMLElement>("form[data-intent='schedule'] [aria-invalid='true']")?.focus();
  }, [errors]);

  const zone = hydrated ? timeZoneName() : "";
  return (
    <Form method="post" noValidate className="space-y-4" data-intent="schedule" aria-label="Schedule a session">
      <input type="hidden" name="intent" value="schedule" />
      {/* The instant the browser reads the local date and time as; without JavaScript the server reads it as UTC. */}
      <input type="hidden" name="startsAt" value={hydrated ? localInputToIso(local) : ""} />
      {errors?.form ? (
        <Alert ref={summary} tone="error">
          {errors.form}
        </Alert>
      ) : null}
      <Field
        label="Session title"
        name="title"
        required
        maxLength={200}
        defaultValue={values?.title}
        error={errors?.fields?.title}
        autoComplete="off"
      />
      <div className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_9rem] lg:grid-cols-1 xl:grid-cols-[minmax(0,1fr)_9rem]">
        <Field
          label="Starts at"
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
      <TextareaField
        label="Description"
        name="description"
        rows={3}
        maxLength={5000}
        defaultValue={values?.description}
        error={errors?.fields?.description}
        hint="What the session covers. Optional."
      />
      <Button type="submit" pending={pending} className="w-full sm:w-auto">
        {pending ? "Scheduling…" : "Schedule session"}
      </Button>
    </Form>
  );
}
