import { ROLE_REQUEST_NOTE_MAX_LENGTH } from "@livehall/api/limits";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AccountPage } from "../components/account/account-page";
import { AbsoluteTime } from "../components/sessions/session-time";
import { actionErrorFrom } from "../components/teach/action-errors.server";
import { Alert, Button, ButtonLink, Card } from "../components/ui";
import { TextareaField } from "../components/ui/textarea";
import { withRedirectTo } from "../lib/redirect";

export const meta: MetaFunction = () => [{ title: "Teach on Livehall · Livehall" }];

export async function loader({ context }: LoaderFunctionArgs) {
  const user = context.auth.user;
  if (!user) throw redirect(withRedirectTo("/login", "/account/teach"));
  const request = await context.caller.account.roleRequest();
  return { role: user.role, request };
}

type SubmitAnswer = { ok: true } | { ok: false; message: string; fieldError?: string | undefined };

export async function action({ request, context }: ActionFunctionArgs) {
  if (!context.auth.user) throw redirect(withRedirectTo("/login", "/account/teach"));
  const form = await request.formData();
  try {
    await context.caller.account.requestToTeach({ note: String(form.get("note") ?? "") });
    return data<SubmitAnswer>({ ok: true });
  } catch (error) {
    const { errors, status } = actionErrorFrom(error);
    return data<SubmitAnswer>(
      {
        ok: false,
        message: errors.form ?? "Check your note and try again.",
        fieldError: errors.fields?.note,
      },
      { status },
    );
  }
}

export default function TeachOnLivehall() {
  const { role, request } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formAction === "/account/teach";
  const canTeach = role !== "STUDENT";
  const waiting = request?.status === "PENDING";

  return (
    <AccountPage
      title="Teach on Livehall"
      description="Instructors create courses, schedule live classes and run them. Tell us a little about what you would like to teach, and an admin will look at your request."
    >
      {canTeach ? (
        <Alert tone="success" title="You can teach on Livehall">
          <p>Your courses and live classes are on the Teach page.</p>
          <ButtonLink to="/teach" className="mt-4">
            Go to Teach
          </ButtonLink>
        </Alert>
      ) : waiting ? (
        <Alert tone="info" title="Your request is waiting for an admin">
          <p>
            You asked on <AbsoluteTime date={new Date(request.createdAt)} />. You will see the answer here, and the
            Teach page appears in the menu as soon as you are approved — no need to sign out.
          </p>
          {request.note ? <p className="mt-2 whitespace-pre-line">Your note: “{request.note}”</p> : null}
        </Alert>
      ) : (
        <>
          {request?.status === "DECLINED" ? (
            <Alert tone="warning" title="Your last request was declined">
              {request.decisionMessage ? (
                <p className="whitespace-pre-line">Message from the admin: “{request.decisionMessage}”</p>
              ) : (
                <p>The admin did not leave a message.</p>
              )}
              <p className="mt-2">You can ask again one day after the answer.</p>
            </Alert>
          ) : null}
          <Card className="p-6 sm:p-8">
            {answer && !answer.ok ? (
              <Alert tone="error" className="mb-5" title="Your request was not sent">
                {answer.message}
              </Alert>
            ) : null}
            <Form method="post" className="space-y-5">
              <TextareaField
                label="What would you like to teach? (optional)"
                name="note"
                maxLength={ROLE_REQUEST_NOTE_MAX_LENGTH}
                rows={4}
                hint={`A sentence or two is enough, at most ${ROLE_REQUEST_NOTE_MAX_LENGTH} characters.`}
                error={answer && !answer.ok ? answer.fieldError : undefined}
              />
              <Button type="submit" pending={sending}>
                {sending ? "Sending…" : "Send request"}
              </Button>
            </Form>
          </Card>
        </>
      )}
    </AccountPage>
  );
}
