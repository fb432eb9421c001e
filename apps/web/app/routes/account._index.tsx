import { NAME_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@livehall/api/limits";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { useId, type ReactNode } from "react";
import { AccountPage } from "../components/account/account-page";
import { CalendarFeed } from "../components/account/calendar-feed";
import { loadCalendarSettings } from "../components/account/calendar-settings.server";
import { ReminderPreference } from "../components/account/reminder-preference";
import { EmailField, PasswordField } from "../components/auth-form";
import { actionErrorFrom } from "../components/teach/action-errors.server";
import { Alert, Badge, Button, ButtonLink, Card, Field } from "../components/ui";
import { ConfirmButton } from "../components/ui/confirm-dialog";
import { withRedirectTo } from "../lib/redirect";

export const meta: MetaFunction = () => [{ title: "Your account · Livehall" }];

export async function loader({ context }: LoaderFunctionArgs) {
  if (!context.auth.user) throw redirect(withRedirectTo("/login", "/account"));
  const [profile, calendar] = await Promise.all([context.caller.account.profile(), loadCalendarSettings(context)]);
  return { profile, calendar };
}

type Intent = "name" | "email" | "resend" | "cancel-email" | "password" | "logout-all";
type Answer = {
  intent: Intent;
  ok: boolean;
  message: string;
  fields?: Partial<Record<string, string>> | undefined;
};

export async function action({ request, context }: ActionFunctionArgs) {
  if (!context.auth.user) throw redirect(withRedirectTo("/login", "/account"));
  const form = await request.formData();
  const intent = String(form.get("intent")) as Intent;
  const text = (name: string) => String(form.get(name) ?? "");
  const account = context.caller.account;
  try {
    switch (intent) {
      case "name":
        await account.updateName({ name: text("name") });
        return data<Answer>({ intent, ok: true, message: "Your name is saved." });
      case "email": {
        const { pendingEmail } = await account.changeEmail({
          email: text("email"),
          currentPassword: text("currentPassword"),
        });
        return data<Answer>({
          intent,
          ok: true,
          message: `We sent a link to ${pendingEmail}. Your address changes when you open it.`,
        });
      }
      case "cancel-email":
        await account.cancelEmailChange();
        return data<Answer>({ intent, ok: true, message: "The change is cancelled. Your address stays as it is." });
      case "resend": {
        const answer = await context.caller.auth.resendVerification();
        return data<Answer>({
          intent,
          ok: true,
          message: answer.sent ? `We sent a new link to ${answer.email}.` : "Your address is confirmed already.",
        });
      }
      case "password": {
        if (text("newPassword") !== text("confirm")) {
          return data<Answer>(
            {
              intent,
              ok: false,
              message: "Check the new password.",
              fields: { confirm: "The two passwords are not the same." },
            },
            400,
          );
        }
        const { signedOutElsewhere } = await account.changePassword({
          currentPassword: text("currentPassword"),
          newPassword: text("newPassword"),
        });
        const elsewhere =
          signedOutElsewhere === 0
            ? "You weren't signed in anywhere else."
            : `${signedOutElsewhere} other sign-in${signedOutElsewhere === 1 ? " was" : "s were"} ended.`;
        return data<Answer>({ intent, ok: true, message: `Your password is changed. ${elsewhere}` });
      }
      case "logout-all":
        await context.caller.auth.logoutAll();
        return redirect("/login");
      default:
        return data<Answer>({ intent, ok: false, message: "Unknown action. Reload the page." }, 400);
    }
  } catch (error) {
    const { errors, status } = actionErrorFrom(error, {
      fieldFor: (reason) =>
        reason === "WRONG_PASSWORD" ? "currentPassword" : reason === "EMAIL_TAKEN" ? "email" : undefined,
    });
    const message = errors.form ?? "Check the highlighted field.";
    return data<Answer>({ intent, ok: false, message, fields: errors.fields }, { status });
  }
}

/** One section of the page: a card with a heading, its text, and the answer of its last action. */
function Section({
  title,
  description,
  answer,
  children,
  testId,
}: {
  title: string;
  description?: ReactNode;
  answer?: Answer | undefined;
  children: ReactNode;
  testId: string;
}) {
  const id = useId();
  return (
    <Card as="section" aria-labelledby={id} className="p-5 sm:p-6" data-testid={testId}>
      <h2 id={id} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      {description ? <div className="mt-1 text-sm text-slate-600">{description}</div> : null}
      {answer ? (
        <Alert tone={answer.ok ? "success" : "error"} className="mt-4">
          {answer.message}
        </Alert>
      ) : null}
      <div className="mt-4">{children}</div>
    </Card>
  );
}

/** A form for one intent of this page's action, sent with a hidden field; its button spins while that intent runs. */
function ActionForm({
  intent,
  submitLabel,
  busy,
  className,
  "aria-label": label,
  children,
}: {
  intent: Intent;
  submitLabel: string;
  busy: string | null;
  className: string;
  "aria-label"?: string;
  children: ReactNode;
}) {
  return (
    <Form method="post" className={className} aria-label={label}>
      <input type="hidden" name="intent" value={intent} />
      {children}
      <Button type="submit" variant="secondary" pending={busy === intent}>
        {submitLabel}
      </Button>
    </Form>
  );
}

/** The password that confirms a change of the e-mail address or of the password itself. */
function CurrentPasswordField({ error }: { error: string | undefined }) {
  return (
    <PasswordField label="Current password" name="currentPassword" autoComplete="current-password" error={error} />
  );
}

export default function Account() {
  const { profile, calendar } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const busy = navigation.state !== "idle" ? String(navigation.formData?.get("intent")) : null;
  const answerFor = (intent: Intent) => (answer?.intent === intent ? answer : undefined);
  const fieldsFor = (intent: Intent) => answerFor(intent)?.fields;
  const verified = profile.emailVerifiedAt !== null;

  return (
    <AccountPage title="Account" description="Your name, e-mail address, password and sign-ins.">
      <Section
        title="Name"
        description="Shown to instructors and in class rooms."
        answer={answerFor("name")}
        testId="account-name"
      >
        <ActionForm
          intent="name"
          submitLabel="Save name"
          busy={busy}
          className="flex flex-col gap-3 sm:flex-row sm:items-end"
        >
          <Field
            label="Your name"
            name="name"
            autoComplete="name"
            maxLength={NAME_MAX_LENGTH}
            defaultValue={profile.name}
            required
            error={fieldsFor("name")?.name}
            className="grow"
          />
        </ActionForm>
      </Section>

      <Section
        title="E-mail address"
        answer={answerFor("email") ?? answerFor("resend") ?? answerFor("cancel-email")}
        testId="account-email"
        description={
          <p className="flex flex-wrap items-center gap-2">
            <span className="font-medium break-all text-slate-900">{profile.email}</span>
            {verified ? <Badge tone="success">Confirmed</Badge> : <Badge tone="neutral">Not confirmed yet</Badge>}
          </p>
        }
      >
        {!verified || profile.pendingEmail ? (
          <Alert
            tone="warning"
            className="mb-4"
            title={profile.pendingEmail ? "Waiting for your new address" : "Confirm your address"}
          >
            <p>
              {profile.pendingEmail
                ? `We sent a link to ${profile.pendingEmail}. Your address changes when you open it.`
                : "Open the link we mailed you. Until then, class reminders and course invitations wait."}
            </p>
            <div className="mt-3 flex flex-wrap gap-2">
              <Form method="post">
                <input type="hidden" name="intent" value="resend" />
                <Button type="submit" size="sm" variant="secondary" pending={busy === "resend"}>
                  Send the link again
                </Button>
              </Form>
              {profile.pendingEmail ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="cancel-email" />
                  <Button type="submit" size="sm" variant="ghost" pending={busy === "cancel-email"}>
                    Cancel the change
                  </Button>
                </Form>
              ) : null}
            </div>
          </Alert>
        ) : null}
        <ActionForm
          intent="email"
          submitLabel="Change e-mail address"
          busy={busy}
          className="space-y-4"
          aria-label="Change your e-mail address"
        >
          <EmailField label="New e-mail address" error={fieldsFor("email")?.email} />
          <CurrentPasswordField error={fieldsFor("email")?.currentPassword} />
        </ActionForm>
      </Section>

      <Section
        title="Password"
        description="Changing it signs you out on every other device."
        answer={answerFor("password")}
        testId="account-password"
      >
        <ActionForm
          intent="password"
          submitLabel="Change password"
          busy={busy}
          className="space-y-4"
          aria-label="Change your password"
        >
          <CurrentPasswordField error={fieldsFor("password")?.currentPassword} />
          <PasswordField
            label="New password"
            name="newPassword"
            autoComplete="new-password"
            hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
            error={fieldsFor("password")?.newPassword}
          />
          <PasswordField
            label="New password again"
            name="confirm"
            autoComplete="new-password"
            error={fieldsFor("password")?.confirm}
          />
        </ActionForm>
      </Section>

      <ReminderPreference setting={calendar.reminders} />
      <CalendarFeed feed={calendar.feed} />

      <Section
        title="Teaching"
        testId="account-teaching"
        description={
          profile.role === "STUDENT"
            ? "Instructors create courses and run live classes. Ask an admin to let you teach."
            : "You can create courses and run live classes."
        }
      >
        <ButtonLink to={profile.role === "STUDENT" ? "/account/teach" : "/teach"} variant="secondary">
          {profile.role === "STUDENT" ? "Ask to teach on Livehall" : "Go to Teach"}
        </ButtonLink>
      </Section>

      <Section
        title="Sign out everywhere"
        description="Ends every sign-in of your account: this browser, your other devices, and any you've forgotten."
        testId="account-sign-out"
      >
        <ConfirmButton
          title="Sign out everywhere?"
          description="You'll need your password to sign in again, on every device."
          confirmLabel="Sign out everywhere"
          variant="secondary"
          pending={busy === "logout-all"}
          onConfirm={() => submit({ intent: "logout-all" }, { method: "post" })}
        >
          Sign out everywhere
        </ConfirmButton>
      </Section>
    </AccountPage>
  );
}
