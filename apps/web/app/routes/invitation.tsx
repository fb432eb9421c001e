import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { AuthLayout, linkClasses } from "../components/auth-form";
import { tokenFrom } from "../components/link-state";
import { actionMessageFrom } from "../components/teach/action-errors.server";
import { Alert, Button, ButtonLink } from "../components/ui";
import { withRedirectTo } from "../lib/redirect";

export const meta: MetaFunction = () => [{ title: "Your invitation · Livehall" }];

/**
 * The link of a mailed invitation to a closed course (docs/decisions/021): whom it invites to
 * what, and the way in — accept (signed in with that address), create an account, or sign in.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = tokenFrom(request);
  const viewer = context.auth.user ? (await context.caller.auth.me()).user : null;
  const here = `/invitation?token=${token ?? ""}`;
  if (!token) return { token: "", invitation: null, viewer, here };
  try {
    return { token, invitation: await context.caller.course.invitation({ token }), viewer, here };
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") return { token, invitation: null, viewer, here };
    throw error;
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  try {
    const { courseSlug } = await context.caller.course.acceptInvitation({ token: String(form.get("token") ?? "") });
    return redirect(`/courses/${courseSlug}`);
  } catch (error) {
    const { message, status } = actionMessageFrom(error, "That did not work. Try again.");
    return data({ message }, { status });
  }
}

export default function Invitation() {
  const { token, invitation, viewer, here } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formMethod === "POST";

  if (!invitation) {
    return (
      <AuthLayout title="This invitation doesn't work" subtitle="About your course invitation" footer="">
        <Alert tone="warning" title="It was used or withdrawn">
          <p data-testid="link-state">
            Each invitation works once. If you accepted it already, the course is in your schedule; otherwise ask the
            instructor to add you again.
          </p>
        </Alert>
        <ButtonLink to={viewer ? "/schedule" : "/login"} className="mt-6 w-full">
          {viewer ? "Go to my schedule" : "Sign in"}
        </ButtonLink>
      </AuthLayout>
    );
  }
  const mine = viewer && viewer.email.toLowerCase() === invitation.email.toLowerCase();
  return (
    <AuthLayout
      title={`You're invited to ${invitation.courseTitle}`}
      subtitle={`${invitation.instructorName} invited ${invitation.email}.`}
      footer={
        viewer ? (
          ""
        ) : (
          <>
            Already have an account?{" "}
            <Link to={withRedirectTo("/login", here)} className={linkClasses}>
              Sign in
            </Link>
          </>
        )
      }
    >
      {answer?.message ? (
        <Alert tone="error" className="mb-5">
          {answer.message}
        </Alert>
      ) : null}
      {!viewer ? (
        <>
          <p className="text-sm text-slate-700">
            Create your account with this address to join the course&apos;s live classes.
          </p>
          <ButtonLink
            to={`/signup?${new URLSearchParams({ invitation: token, email: invitation.email, redirectTo: `/courses/${invitation.courseSlug}` })}`}
            className="mt-6 w-full"
          >
            Create my account
          </ButtonLink>
        </>
      ) : mine ? (
        <Form method="post">
          <input type="hidden" name="token" value={token} />
          <Button type="submit" pending={pending} className="w-full">
            {pending ? "Joining…" : `Join ${invitation.courseTitle}`}
          </Button>
        </Form>
      ) : (
        <Alert tone="warning" title={`You're signed in as ${viewer.email}`}>
          <p>This invitation is for {invitation.email}. Sign out, then sign in with that address to accept it.</p>
          <Form method="post" action="/logout" className="mt-3">
            <input type="hidden" name="redirectTo" value={here} />
            <Button type="submit" size="sm" variant="secondary">
              Sign out
            </Button>
          </Form>
        </Alert>
      )}
    </AuthLayout>
  );
}
