import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { NAME_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@livehall/api/limits";
import { AuthLayout, EmailField, FormErrorSummary, PasswordField, linkClasses } from "../components/auth-form";
import { Button, Field } from "../components/ui";
import { formErrorsFrom, type FormErrors } from "../lib/form-errors.server";
import { authPageTarget, safeRedirect, withRedirectTo } from "../lib/redirect";

export const meta: MetaFunction = () => [{ title: "Create your account · Livehall" }];

export function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  // From an invitation's page: its token proves the invited address, so the new account is confirmed.
  const invitation = url.searchParams.get("invitation");
  return {
    ...authPageTarget(request, context.auth.user),
    invitation: invitation && /^[A-Za-z0-9_-]{20,200}$/.test(invitation) ? invitation : "",
    email: url.searchParams.get("email")?.slice(0, 254) ?? "",
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const name = String(form.get("name") ?? "");
  const email = String(form.get("email") ?? "");
  const password = String(form.get("password") ?? "");
  const redirectTo = safeRedirect(form.get("redirectTo"));
  const invitation = String(form.get("invitation") ?? "");
  const values = { name, email };

  try {
    // The API validates (its messages are shown per field) and signs the new user in with cookies.
    await context.caller.auth.signup({ name, email, password, ...(invitation ? { invitation } : {}) });
  } catch (error) {
    const { errors, status } = formErrorsFrom(error);
    return data({ errors, values }, { status });
  }
  return redirect(redirectTo);
}

export default function Signup() {
  const { redirectTo, invitation, email } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formAction?.startsWith("/signup") === true;
  const errors: FormErrors | undefined = answer?.errors;
  const emailTaken = errors?.reason === "EMAIL_TAKEN";

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Join live classes taught by the people who wrote the course."
      footer={
        <>
          Already have an account?{" "}
          <Link to={withRedirectTo("/login", redirectTo)} className={linkClasses}>
            Sign in
          </Link>
        </>
      }
    >
      <FormErrorSummary message={errors?.form} answer={answer} />
      <Form method="post" noValidate className="space-y-5" aria-label="Create your account">
        <input type="hidden" name="redirectTo" value={redirectTo} />
        {invitation ? <input type="hidden" name="invitation" value={invitation} /> : null}
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={NAME_MAX_LENGTH}
          defaultValue={answer?.values.name}
          error={errors?.fields?.name}
        />
        <EmailField defaultValue={answer?.values.email ?? email} error={errors?.fields?.email} />
        {emailTaken ? (
          <p className="-mt-3 text-sm">
            <Link to={withRedirectTo("/login", redirectTo)} className={linkClasses}>
              Sign in with this email
            </Link>
          </p>
        ) : null}
        <PasswordField
          label="Password"
          name="password"
          autoComplete="new-password"
          minLength={PASSWORD_MIN_LENGTH}
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          error={errors?.fields?.password}
        />
        <Button type="submit" pending={pending} className="w-full">
          {pending ? "Creating your account…" : "Create account"}
        </Button>
      </Form>
    </AuthLayout>
  );
}
