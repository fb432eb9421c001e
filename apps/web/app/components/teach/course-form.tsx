import { COURSE_SLUG_MAX_LENGTH, COURSE_TITLE_MAX_LENGTH, DESCRIPTION_MAX_LENGTH } from "@livehall/api/limits";
import { Form } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { Alert, Button, Field } from "../ui";
import { TextareaField } from "../ui/textarea";

export interface CourseFormProps {
  intent: "create-course" | "update-course";
  /** The answer of the last submission of this form (errors and the values sent). */
  errors?: { form?: string; fields?: Partial<Record<string, string>> } | undefined;
  values?: { title?: string; slug?: string; description?: string } | undefined;
  pending: boolean;
  /** Changes when the form should start again from `values` (after a save). */
  resetKey?: string | number;
}

/** Creates a course (title, optional address, description) or edits one (title, description). */
export function CourseForm({ intent, errors, values, pending, resetKey }: CourseFormProps) {
  const creating = intent === "create-course";
  const summary = useRef<HTMLDivElement>(null);
  // On an answer with errors, focus the form's error or else the first invalid field.
  useEffect(() => {
    if (!errors) return;
    if (summary.current) summary.current.focus();
    else document.querySelector<HTMLElement>(`form[data-intent="${intent}"] [aria-invalid='true']`)?.focus();
  }, [errors, intent]);

  return (
    <Form
      method="post"
      noValidate
      className="space-y-4"
      data-intent={intent}
      key={resetKey}
      aria-label={creating ? "New course" : "Course details"}
    >
      <input type="hidden" name="intent" value={intent} />
      {errors?.form ? (
        <Alert ref={summary} tone="error">
          {errors.form}
        </Alert>
      ) : null}
      <Field
        label="Title"
        name="title"
        required
        maxLength={COURSE_TITLE_MAX_LENGTH}
        defaultValue={values?.title}
        error={errors?.fields?.title}
        autoComplete="off"
      />
      {creating ? (
        <Field
          label="Address (optional)"
          name="slug"
          maxLength={COURSE_SLUG_MAX_LENGTH}
          defaultValue={values?.slug}
          error={errors?.fields?.slug}
          autoComplete="off"
          spellCheck={false}
          hint="Lowercase letters, digits and dashes, e.g. intro-to-sql. Made from the title when left empty."
        />
      ) : null}
      <TextareaField
        label="Description"
        name="description"
        rows={creating ? 3 : 4}
        maxLength={DESCRIPTION_MAX_LENGTH}
        defaultValue={values?.description}
        error={errors?.fields?.description}
        hint="What students will learn. Optional."
      />
      <Button type="submit" pending={pending} className="w-full sm:w-auto">
        {creating ? (pending ? "Creating…" : "Create course") : pending ? "Saving…" : "Save changes"}
      </Button>
    </Form>
  );
}
