import { PASSWORD_MIN_LENGTH } from "@livehall/api/limits";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AuthLayout, FormErrorSummary, PasswordField } from "../components/auth-form";
import { LinkProblemPage, linkStateOfReason, tokenFrom, type LinkState } from "../components/link-state";
import { Button } from "../components/ui";
import { formErrorsFrom, reasonOf, type FormErrors } from "../lib/form-errors.server";
import { TRPCError } from "@trpc/server";

export const meta: MetaFunction = () => [{ title: "Choose a new password · Livehall" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = tokenFrom(request);
  if (!token) return { token: "", state: "invalid" as LinkState };
  const { state } = await context.caller.auth.linkState({ token, purpose: "reset-password" });
  return { token, state };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const token = String(form.get("token") ?? "");
  const password = String(form.get("password") ?? "");
  const fields: Record<string, string> = {};
  if (password.length < PASSWORD_MIN_LENGTH) fields.password = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  else if (password !== String(form.get("confirm") ?? "")) fields.confirm = "The two passwords are not the same.";
  if (Object.keys(fields).length > 0) return data({ errors: { fields } as FormErrors, state: null }, 400);
  try {
    await context.caller.auth.resetPassword({ token, password });
  } catch (error) {
    const state = error instanceof TRPCError ? linkStateOfReason(reasonOf(error)) : null;
    if (state) return data({ errors: undefined, state }, 409);
    const { errors, status } = formErrorsFrom(error);
    return data({ errors, state: null }, { status });
  }
  return redirect("/login?notice=password-reset");
}

export default function ResetPassword() {
  const loaded = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formMethod === "POST";
  const state = answer?.state ?? loaded.state;
  if (state !== "valid") {
    return (
      <LinkProblemPage
        state={state}
        what="password reset link"
        usedText="Your password was already changed with it: sign in with the new one, or ask for a new link."
        action={{ label: "Ask for a new link", to: "/forgot-password" }}
      />
    );
  }
  const errors = answer?.errors;
  return (
    <AuthLayout
      title="Choose a new password"
      subtitle="You'll be signed out on every device, then sign in with the new one."
      footer="The link works once."
    >
      <FormErrorSummary message={errors?.form} answer={answer} />
      <Form method="post" noValidate className="space-y-5" aria-label="Choose a new password">
        <input type="hidden" name="token" value={loaded.token} />
        <PasswordField
          label="New password"
          name="password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          error={errors?.fields?.password}
        />
        <PasswordField
          label="New password again"
          name="confirm"
          autoComplete="new-password"
          error={errors?.fields?.confirm}
        />
        <Button type="submit" pending={pending} className="w-full">
          {pending ? "Saving…" : "Save my new password"}
        </Button>
      </Form>
    </AuthLayout>
  );
}
