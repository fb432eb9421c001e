import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { AuthLayout } from "../components/auth-form";
import { LinkProblemPage, linkStateOfReason, tokenFrom, type LinkState } from "../components/link-state";
import { Alert, Button, ButtonLink } from "../components/ui";
import { formErrorsFrom, reasonOf } from "../lib/form-errors.server";
import { withRedirectTo } from "../lib/redirect";

export const meta: MetaFunction = () => [{ title: "Confirm your e-mail address · Livehall" }];

/**
 * A verification link opens this page; the address is confirmed by its button (a POST), so a mail
 * scanner that opens links does not use it up.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = tokenFrom(request);
  const signedIn = context.auth.user !== null;
  if (!token) return { token: "", state: "invalid" as LinkState, signedIn };
  const { state } = await context.caller.auth.linkState({ token, purpose: "verify-email" });
  return { token, state, signedIn };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  try {
    const result = await context.caller.auth.verifyEmail({ token: String(form.get("token") ?? "") });
    return data({ confirmed: result, state: null, error: null });
  } catch (error) {
    const state = error instanceof TRPCError ? linkStateOfReason(reasonOf(error)) : null;
    if (state) return data({ confirmed: null, state, error: null }, 409);
    const { errors, status } = formErrorsFrom(error);
    return data({ confirmed: null, state: null, error: errors.form ?? "That did not work. Try again." }, { status });
  }
}

export default function VerifyEmail() {
  const { token, state: loadedState, signedIn } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formMethod === "POST";
  const next = signedIn ? { label: "Go to your account", to: "/account" } : { label: "Sign in", to: "/login" };

  if (answer?.confirmed) {
    const courses = answer.confirmed.enrolledCourses;
    return (
      <AuthLayout title="Your address is confirmed" subtitle={answer.confirmed.email} footer="Thanks for confirming.">
        <Alert tone="success" title="All set">
          <p data-testid="link-state">
            Livehall's mail now comes to this address (class reminders, unless you turn them off on your account page)
            {courses > 0
              ? `, and you're now in ${courses === 1 ? "the course" : `${courses} courses`} you were invited to`
              : ""}
            .
          </p>
        </Alert>
        <ButtonLink to={signedIn ? "/schedule" : "/login"} className="mt-6 w-full">
          {signedIn ? "Go to my schedule" : "Sign in"}
        </ButtonLink>
      </AuthLayout>
    );
  }
  const state = answer?.state ?? loadedState;
  if (state !== "valid") {
    return (
      <LinkProblemPage
        state={state}
        what="confirmation link"
        usedText="Your address is confirmed already."
        action={
          state === "used"
            ? next
            : signedIn
              ? { label: "Send a new link from your account", to: "/account" }
              : { label: "Sign in to get a new link", to: withRedirectTo("/login", "/account") }
        }
      />
    );
  }
  return (
    <AuthLayout
      title="Confirm your e-mail address"
      subtitle="One click, and reminders and course invitations reach you."
      footer="The link works once."
    >
      {answer?.error ? (
        <Alert tone="error" className="mb-5">
          {answer.error}
        </Alert>
      ) : null}
      <Form method="post" aria-label="Confirm your e-mail address">
        <input type="hidden" name="token" value={token} />
        <Button type="submit" pending={pending} className="w-full">
          {pending ? "Confirming…" : "Confirm my address"}
        </Button>
      </Form>
    </AuthLayout>
  );
}
