import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AuthLayout, EmailField, FormErrorSummary, PasswordField, linkClasses } from "../components/auth-form";
import { Alert, Button } from "../components/ui";
import { formErrorsFrom, type FormErrors } from "../lib/form-errors.server";
import { HOME_BY_ROLE, authPageTarget, safeRedirect, withRedirectTo } from "../lib/redirect";

export const meta: MetaFunction = () => [{ title: "Sign in · Livehall" }];

/** Notices other pages send people here with (?notice=…). */
const NOTICES = {
  "password-reset": "Your password was changed and every device was signed out. Sign in with your new password.",
} as const;

export function loader({ request, context }: LoaderFunctionArgs) {
  const notice = new URL(request.url).searchParams.get("notice");
  return {
    ...authPageTarget(request, context.auth.user),
    notice: notice && notice in NOTICES ? NOTICES[notice as keyof typeof NOTICES] : null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const target = form.get("redirectTo");

  const fields: Record<string, string> = {};
  if (!email) fields.email = "Enter your email address.";
  if (!password) fields.password = "Enter your password.";
  if (Object.keys(fields).length > 0) return data({ errors: { fields } satisfies FormErrors, email }, { status: 400 });

  try {
    // Sets the auth cookies on this response (the caller's resHeaders).
    const { user } = await context.caller.auth.login({ email, password });
    return redirect(safeRedirect(target, HOME_BY_ROLE[user.role]));
  } catch (error) {
    const { errors, status } = formErrorsFrom(error);
    return data({ errors, email }, { status });
  }
}

export default function Login() {
  const { redirectTo, notice } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formAction?.startsWith("/login") === true;
  const errors: FormErrors | undefined = answer?.errors;

  return (
    <AuthLayout
      title="Welcome back"
      subtitle="Sign in to join your live classes."
      footer={
        <>
          New to Livehall?{" "}
          <Link to={withRedirectTo("/signup", redirectTo)} className={linkClasses}>
            Create an account
          </Link>
        </>
      }
    >
      {notice && !answer ? (
        <Alert tone="success" className="mb-5">
          {notice}
        </Alert>
      ) : null}
      <FormErrorSummary message={errors?.form} answer={answer} />
      <Form method="post" noValidate className="space-y-5" aria-label="Sign in">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <EmailField defaultValue={answer?.email} error={errors?.fields?.email} />
        <PasswordField
          label="Password"
          name="password"
          autoComplete="current-password"
          error={errors?.fields?.password}
        />
        <p className="-mt-2 text-right text-sm">
          <Link to="/forgot-password" className={linkClasses}>
            Forgot password?
          </Link>
        </p>
        <Button type="submit" pending={pending} className="w-full">
          {pending ? "Signing in…" : "Sign in"}
        </Button>
      </Form>
    </AuthLayout>
  );
}
