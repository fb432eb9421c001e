import { useEffect, useRef, type ReactNode } from "react";
import { Backdrop } from "./backdrop";
import { LogoMark } from "./logo";
import { Alert, Card, Field } from "./ui";
import type { FieldProps } from "./ui/field";

/** The frame of the sign-in and sign-up pages: a centred glass card under a gradient heading. */
export function AuthLayout({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string;
  subtitle: string;
  children: ReactNode;
  footer: ReactNode;
}) {
  return (
    <div className="relative isolate overflow-hidden px-4 py-12 sm:py-20">
      <Backdrop />
      <div className="mx-auto w-full max-w-md">
        <div className="flex flex-col items-center text-center">
          <LogoMark className="size-12 rounded-2xl" />
          <h1 className="mt-5 text-gradient-brand text-3xl font-bold tracking-tight sm:text-4xl">{title}</h1>
          <p className="mt-2 text-base text-slate-600">{subtitle}</p>
        </div>
        <Card className="mt-8 p-6 sm:p-8">{children}</Card>
        <p className="mt-6 text-center text-sm text-slate-600">{footer}</p>
      </div>
    </div>
  );
}

/**
 * The form-level error of an answer, focused when it appears so keyboard and screen-reader users land
 * on it; with only field errors, focus goes to the first invalid field instead.
 */
export function FormErrorSummary({ message, answer }: { message: string | undefined; answer: unknown }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!answer) return;
    if (ref.current) ref.current.focus();
    else document.querySelector<HTMLElement>("form [aria-invalid='true']")?.focus();
  }, [answer]);
  if (!message) return null;
  return (
    <Alert ref={ref} tone="error" className="mb-5">
      {message}
    </Alert>
  );
}

export const linkClasses = "font-semibold text-brand-700 underline-offset-4 hover:underline";

/** The e-mail address field of a form, named "email", with the keyboard and autofill of an address. */
export function EmailField({
  label = "Email",
  ...props
}: Omit<FieldProps, "name" | "type" | "label"> & { label?: string }) {
  return <Field label={label} name="email" type="email" autoComplete="email" inputMode="email" required {...props} />;
}

/** A required password field; autoComplete says whether password managers fill in or suggest one. */
export function PasswordField({
  label,
  name,
  autoComplete,
  ...props
}: Omit<FieldProps, "type" | "autoComplete"> & { autoComplete: "current-password" | "new-password" }) {
  return <Field label={label} name={name} type="password" autoComplete={autoComplete} required {...props} />;
}
