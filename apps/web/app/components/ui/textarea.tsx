import { forwardRef, type TextareaHTMLAttributes } from "react";
import { cn } from "./cn";
import { FieldFrame, type FieldFrameProps } from "./field";
import { inputClasses } from "./input";

export const Textarea = forwardRef<HTMLTextAreaElement, TextareaHTMLAttributes<HTMLTextAreaElement>>(function Textarea(
  { className, ...props },
  ref,
) {
  return (
    <textarea
      ref={ref}
      className={cn(inputClasses, "min-h-24 resize-y py-2.5 leading-relaxed", className)}
      {...props}
    />
  );
});

export type TextareaFieldProps = TextareaHTMLAttributes<HTMLTextAreaElement> & FieldFrameProps;

/** A labelled textarea with its hint and error wired up, like Field. */
export const TextareaField = forwardRef<HTMLTextAreaElement, TextareaFieldProps>(function TextareaField(
  { label, error, hint, id, className, ...props },
  ref,
) {
  return (
    <FieldFrame label={label} error={error} hint={hint} id={id} className={className}>
      {(control) => <Textarea ref={ref} {...control} {...props} />}
    </FieldFrame>
  );
});
