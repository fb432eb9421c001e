import type { AppRouter, inferRouterOutputs } from "@livehall/api";
import { Form, useFetcher, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import { POLICY_LABEL, type EnrollmentPolicy } from "../courses/enrollment";
import { AbsoluteTime } from "../sessions/session-time";
import { Alert, Button, Card } from "../ui";
import { ConfirmButton } from "../ui/confirm-dialog";
import { Section } from "../ui/page-header";
import { TextareaField } from "../ui/textarea";
import type { TeachActionResult } from "./types";

export type Roster = inferRouterOutputs<AppRouter>["course"]["roster"];

const POLICY_HELP: Record<EnrollmentPolicy, string> = {
  OPEN: "Anyone can enroll from the course page, or by joining a live session.",
  INVITE: "People enroll with the invite link or its code. Change the code to stop old links from working.",
  CLOSED: "Only the people you add below can enroll.",
};

const SOURCE_LABEL: Record<Roster["students"][number]["source"], string> = {
  SELF: "Enrolled themselves",
  INVITE_CODE: "Invite code",
  ADDED: "Added by e-mail",
  INVITATION: "Invitation accepted",
  JOINED: "Joined a live session",
};

function usePending(intent: string): boolean {
  const navigation = useNavigation();
  return navigation.state !== "idle" && navigation.formData?.get("intent") === intent;
}

/**
 * Who may enroll (the policy), the invite link of an invite-only course, and adding people by
 * e-mail: the instructor's side of docs/decisions/020. Plain forms to the page's action.
 */
export function EnrollmentSettings({
  roster,
  inviteLink,
  failed,
  addKey,
}: {
  roster: Roster;
  /** Changes after people were added: the address field starts again empty. */
  addKey: number;
  /** The course page with the current code, or null when no code works. */
  inviteLink: string | null;
  failed: Extract<TeachActionResult, { ok: false }> | null;
}) {
  const savingPolicy = usePending("set-policy");
  const adding = usePending("add-students");
  return (
    <Card className="scroll-mt-24 p-5 sm:p-6" id="enrollment">
      <h2 className="text-lg font-semibold tracking-tight text-slate-900">Who can enroll</h2>
      {/* Keyed by the saved policy: after a save (or a change elsewhere) the choice shown is the saved one. */}
      <Form key={roster.policy} method="post" className="mt-4" preventScrollReset>
        <input type="hidden" name="intent" value="set-policy" />
        <fieldset>
          <legend className="sr-only">Enrollment</legend>
          <div className="space-y-2">
            {(["OPEN", "INVITE", "CLOSED"] as const).map((policy) => (
              <label
                key={policy}
                className="has-[:checked]:border-brand-300 flex cursor-pointer items-start gap-3 rounded-control border border-slate-200 bg-white/60 p-3 has-[:checked]:bg-brand-50"
              >
                <input
                  type="radio"
                  name="policy"
                  value={policy}
                  defaultChecked={roster.policy === policy}
                  className="mt-1 size-4 accent-brand-600"
                />
                <span>
                  <span className="block text-sm font-semibold text-slate-900">{POLICY_LABEL[policy]}</span>
                  <span className="block text-sm text-slate-600">{POLICY_HELP[policy]}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        {failed?.intent === "set-policy" && failed.errors.form ? (
          <Alert tone="error" className="mt-3">
            {failed.errors.form}
          </Alert>
        ) : null}
        <Button type="submit" variant="secondary" size="sm" className="mt-3" pending={savingPolicy}>
          Save who can enroll
        </Button>
      </Form>

      {roster.policy === "INVITE" ? <InviteLink code={roster.inviteCode} link={inviteLink} /> : null}

      <Form key={addKey} method="post" className="mt-6 border-t border-slate-900/5 pt-5" preventScrollReset>
        <input type="hidden" name="intent" value="add-students" />
        <TextareaField
          label="Add people by e-mail"
          name="emails"
          rows={3}
          required
          hint="One address per line (or separated by commas). People without an account yet get an invitation by mail and are enrolled when they accept it; adding someone invited again sends a new invitation."
          error={failed?.intent === "add-students" ? (failed.errors.fields?.emails ?? failed.errors.form) : undefined}
        />
        <Button type="submit" size="sm" className="mt-3" pending={adding}>
          Add
        </Button>
      </Form>
    </Card>
  );
}

function InviteLink({ code, link }: { code: string | null; link: string | null }) {
  const rotating = usePending("rotate-code");
  const disabling = usePending("disable-code");
  return (
    <div className="mt-6 border-t border-slate-900/5 pt-5" data-testid="invite-link">
      <h3 className="text-sm font-semibold text-slate-900">Invite link</h3>
      {code && link ? (
        <>
          <p className="mt-1 text-sm text-slate-600">Share it with the people you want in the course.</p>
          <p className="mt-2 rounded-control bg-slate-900/5 px-3 py-2 font-mono text-sm break-all text-slate-900">
            {link}
          </p>
          <p className="mt-2 text-sm text-slate-700">
            Code: <span className="font-mono font-semibold tracking-wider">{code}</span>
          </p>
        </>
      ) : (
        <p className="mt-1 text-sm text-slate-600">
          Turned off: no link or code works. Make a new one to invite people.
        </p>
      )}
      <div className="mt-3 flex flex-wrap gap-2">
        <Form method="post" preventScrollReset>
          <input type="hidden" name="intent" value="rotate-code" />
          <Button type="submit" variant="secondary" size="sm" pending={rotating}>
            {code ? "New code" : "Make a link"}
          </Button>
        </Form>
        {code ? (
          <Form method="post" preventScrollReset>
            <input type="hidden" name="intent" value="disable-code" />
            <Button type="submit" variant="ghost" size="sm" pending={disabling}>
              Turn the link off
            </Button>
          </Form>
        ) : null}
      </div>
    </div>
  );
}

/** Who is enrolled (oldest first, with when and how) and who is invited, each removable. */
export function RosterSection({ roster, courseTitle }: { roster: Roster; courseTitle: string }) {
  return (
    <>
      <Section
        title="Students"
        count={roster.studentCount}
        id="roster"
        description={
          roster.studentCount > roster.students.length
            ? `The first ${roster.students.length} by enrollment date.`
            : "Everyone enrolled, by enrollment date."
        }
      >
        {roster.students.length === 0 ? (
          <p className="rounded-card border border-dashed border-slate-300 bg-white/40 px-5 py-6 text-sm text-slate-600">
            Nobody is enrolled yet.
          </p>
        ) : (
          <RosterList>
            {roster.students.map((student) => (
              <RosterRow
                key={student.userId}
                testId="roster-student"
                name={student.name}
                action={
                  <RemoveButton
                    intent="remove-student"
                    fields={{ userId: student.userId }}
                    label={`Remove ${student.name} from ${courseTitle}`}
                    title={`Remove ${student.name} from the course?`}
                    description="They leave any live session of this course at once and can no longer join its sessions. Add them again to undo this."
                  />
                }
              >
                <p className="text-sm wrap-anywhere text-slate-600">{student.email}</p>
                <p className="mt-0.5 text-xs text-slate-600">
                  Enrolled <AbsoluteTime date={new Date(student.enrolledAt)} /> · {SOURCE_LABEL[student.source]}
                </p>
              </RosterRow>
            ))}
          </RosterList>
        )}
      </Section>
      {roster.invitations.length > 0 ? (
        <Section
          title="Invited"
          count={roster.invitations.length}
          id="invitations"
          description="Addresses without an account yet: they are enrolled when they sign up with it."
        >
          <RosterList>
            {roster.invitations.map((invitation) => (
              <RosterRow
                key={invitation.email}
                testId="roster-invitation"
                name={invitation.email}
                action={
                  <RemoveButton
                    intent="cancel-invitation"
                    fields={{ email: invitation.email }}
                    label={`Cancel the invitation of ${invitation.email}`}
                    title={`Cancel the invitation of ${invitation.email}?`}
                    description="Signing up with this address will no longer enroll them."
                  />
                }
              >
                <p className="text-xs text-slate-600">
                  Invited <AbsoluteTime date={new Date(invitation.createdAt)} />
                </p>
              </RosterRow>
            ))}
          </RosterList>
        </Section>
      ) : null}
    </>
  );
}

function RosterList({ children }: { children: ReactNode }) {
  return (
    <ul className="divide-y divide-slate-900/5 rounded-card border border-white/70 bg-white/50 shadow-card">
      {children}
    </ul>
  );
}

/** One person on the roster: their name, what else is known about them, and what can be done. */
function RosterRow({
  testId,
  name,
  action,
  children,
}: {
  testId: string;
  name: string;
  action: ReactNode;
  children: ReactNode;
}) {
  return (
    <li className="flex flex-col gap-2 p-4 sm:flex-row sm:items-center sm:justify-between" data-testid={testId}>
      <div className="min-w-0">
        <p className="font-semibold wrap-anywhere text-slate-900">{name}</p>
        {children}
      </div>
      {action}
    </li>
  );
}

function RemoveButton({
  intent,
  fields,
  label,
  title,
  description,
}: {
  intent: string;
  fields: Record<string, string>;
  label: string;
  title: string;
  description: string;
}) {
  const fetcher = useFetcher<TeachActionResult>({ key: `${intent}:${Object.values(fields).join(":")}` });
  const failure = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.errors.form : null;
  return (
    <div className="flex flex-col items-start gap-1 sm:items-end">
      <ConfirmButton
        variant="ghost"
        confirmVariant="live"
        pending={fetcher.state !== "idle"}
        aria-label={label}
        title={title}
        description={description}
        confirmLabel={intent === "remove-student" ? "Remove" : "Cancel the invitation"}
        cancelLabel="Keep"
        onConfirm={() => fetcher.submit({ intent, ...fields }, { method: "post" })}
      >
        {intent === "remove-student" ? "Remove" : "Cancel"}
      </ConfirmButton>
      {failure ? (
        <Alert tone="error" className="text-xs">
          {failure}
        </Alert>
      ) : null}
    </div>
  );
}
