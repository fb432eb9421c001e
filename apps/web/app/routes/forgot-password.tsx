import { data, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { AuthLayout, EmailField, FormErrorSummary, linkClasses } from "../components/auth-form";
import { Alert, Button } from "../components/ui";
import { formErrorsFrom, type FormErrors } from "../lib/form-errors.server";

export const meta: MetaFunction = () => [{ title: "Forgot your password? · Livehall" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const email = String(form.get("email") ?? "").trim();
  if (!email)
    return data({ sent: false, errors: { fields: { email: "Enter your email address." } } as FormErrors, email }, 400);
  try {
    // The same answer whether or not the address has an account.
    const { minutesValid } = await context.caller.auth.requestPasswordReset({ email });
    return data({ sent: true, minutesValid, errors: undefined, email });
  } catch (error) {
    const { errors, status } = formErrorsFrom(error);
    return data({ sent: false, errors, email }, { status });
  }
}

export default function ForgotPassword() {
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formAction === "/forgot-password";
  const errors = answer?.errors;
  return (
    <AuthLayout
      title="Forgot your password?"
      subtitle="We'll mail you a link to choose a new one."
      footer={
        <>
          Remembered it?{" "}
          <Link to="/login" className={linkClasses}>
            Sign in
          </Link>
        </>
      }
    >
      {answer?.sent && "minutesValid" in answer ? (
        <Alert tone="success" title="Check your inbox">
          <p>
            If an account uses <strong>{answer.email}</strong>, a link to reset its password is on its way. It works
            once, for {answer.minutesValid} minutes. Nothing there? Check your spam folder, or ask again in a few
            minutes.
          </p>
        </Alert>
      ) : (
        <>
          <FormErrorSummary message={errors?.form} answer={answer} />
          <Form method="post" noValidate className="space-y-5" aria-label="Reset your password">
            <EmailField defaultValue={answer?.email} error={errors?.fields?.email} />
            <Button type="submit" pending={pending} className="w-full">
              {pending ? "Sending…" : "Send me a reset link"}
            </Button>
          </Form>
        </>
      )}
    </AuthLayout>
  );
}
