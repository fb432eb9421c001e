import type { FormErrors } from "../../lib/form-errors.server";
import { actionErrorFrom, type ActionError } from "./action-errors.server";
import { DURATION_MAX, DURATION_MIN, SERIES_MAX, SERIES_MIN } from "./session-form";

const FIELDS = [
  "title",
  "description",
  "startsAt",
  "startsAtLocal",
  "plannedDurationMinutes",
  "count",
  "timeZone",
] as const;
export type SessionFormValues = Record<(typeof FIELDS)[number], string>;

const DURATION_ERROR = `Enter a length between ${DURATION_MIN} and ${DURATION_MAX} minutes.`;
const START_ERROR = "Choose the date and time the session starts.";
const COUNT_ERROR = `Enter a number of weeks between ${SERIES_MIN} and ${SERIES_MAX}.`;

const wholeNumberIn = (value: string, min: number, max: number) => {
  const number = Number(value);
  return value !== "" && Number.isInteger(number) && number >= min && number <= max ? number : null;
};

/**
 * Reads the session form (schedule, series, edit) of a teach page: the values to show again, the
 * fields the page can already tell are wrong, and the numbers and instant the API takes.
 */
export function readSessionForm(form: FormData, { series = false }: { series?: boolean } = {}) {
  const values = Object.fromEntries(FIELDS.map((name) => [name, String(form.get(name) ?? "")])) as SessionFormValues;
  const fields: Record<string, string> = {};
  // The browser sends the instant it read in the instructor's time zone; without JavaScript the
  // server has only the local date and time, and reads it as UTC (docs/decisions/010).
  const iso = values.startsAt || (values.startsAtLocal ? `${values.startsAtLocal}Z` : "");
  const startsAt = new Date(iso);
  if (!iso || Number.isNaN(startsAt.getTime())) fields.startsAt = START_ERROR;
  const plannedDurationMinutes = wholeNumberIn(values.plannedDurationMinutes, DURATION_MIN, DURATION_MAX);
  if (plannedDurationMinutes === null) fields.plannedDurationMinutes = DURATION_ERROR;
  const count = wholeNumberIn(values.count, SERIES_MIN, SERIES_MAX);
  if (series && count === null) fields.count = COUNT_ERROR;
  if (!values.title.trim()) fields.title = "Enter a title.";
  const errors: FormErrors | null = Object.keys(fields).length > 0 ? { fields } : null;
  return {
    values,
    errors,
    session: {
      title: values.title,
      description: values.description,
      startsAt,
      plannedDurationMinutes: plannedDurationMinutes ?? 0,
    },
    count: count ?? 0,
    // Without JavaScript no zone arrives: weeks are then counted in UTC.
    timeZone: values.timeZone || "UTC",
  };
}

/** An API refusal of the session form, with each message next to its field. */
export function sessionFormError(error: unknown): ActionError {
  return actionErrorFrom(error, {
    fieldMessages: { plannedDurationMinutes: DURATION_ERROR, startsAt: START_ERROR, count: COUNT_ERROR },
    // "The start time is in the past…" belongs next to the start field.
    fieldFor: (reason, trpcError) =>
      reason === "INVALID_INPUT" && /start time/i.test(trpcError.message) ? "startsAt" : undefined,
  });
}
