import { Form, Link, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import { withRedirectTo } from "../../lib/redirect";
import { LockIcon } from "../icons";
import { Badge, Button, ButtonLink, Field } from "../ui";
import type { BadgeTone } from "../ui/badge";

export type EnrollmentPolicy = "OPEN" | "INVITE" | "CLOSED";

/** The policy in a word or two, as the course page's badge and the teach page say it. */
export const POLICY_LABEL: Record<EnrollmentPolicy, string> = {
  OPEN: "Open to everyone",
  INVITE: "Invite only",
  CLOSED: "Closed",
};

const POLICY_TONE: Record<EnrollmentPolicy, BadgeTone> = { OPEN: "success", INVITE: "brand", CLOSED: "neutral" };

export function PolicyBadge({ policy }: { policy: EnrollmentPolicy }) {
  return (
    <Badge tone={POLICY_TONE[policy]} className="normal-case">
      {policy === "OPEN" ? null : <LockIcon className="size-3.5" />}
      {POLICY_LABEL[policy]}
    </Badge>
  );
}

export const coursePath = (slug: string) => `/courses/${slug}`;

/** A course's name, linking to its page (everywhere a course is named). */
export function CourseLink({ course, className }: { course: { slug: string; title: string }; className?: string }) {
  return (
    <Link
      to={coursePath(course.slug)}
      className={
        className ??
        "rounded font-semibold text-brand-700 underline decoration-brand-200 underline-offset-4 hover:decoration-brand-700"
      }
    >
      {course.title}
    </Link>
  );
}

export interface JoinCourseProps {
  course: { slug: string; title: string; policy: EnrollmentPolicy; instructorName: string };
  signedIn: boolean;
  /** Where the visitor comes back to after enrolling (or signing in): the page showing this. */
  returnTo: string;
  /** A code from the invite link (`?code=`), filled in. */
  code?: string | null;
  /** The last attempt's refusal (a wrong code). */
  error?: string | null;
}

/**
 * How to get into a course someone is not enrolled in: Enroll (open), the invite-code form (invite
 * only) or whom to ask (closed); signed out, sign in first. Plain forms posting to the course page's
 * action, so they work before the page has hydrated.
 */
export function JoinCourse({ course, signedIn, returnTo, code, error }: JoinCourseProps) {
  const navigation = useNavigation();
  const action = coursePath(course.slug);
  const pending = navigation.state !== "idle" && navigation.formAction === action;
  if (course.policy === "CLOSED") {
    return (
      <Explain>
        Only people the instructor adds can take part in this course. Ask {course.instructorName} to add you with the
        e-mail address you use on Livehall.
      </Explain>
    );
  }
  if (!signedIn) {
    return (
      <>
        <Explain>
          {course.policy === "OPEN"
            ? "Anyone can enroll. Sign in (or create an account) first."
            : "You need the invite code from the instructor. Sign in first, then enter it here."}
        </Explain>
        <ButtonLink to={withRedirectTo("/login", returnTo)} className="mt-4">
          Sign in to enroll
        </ButtonLink>
      </>
    );
  }
  return (
    <Form method="post" action={action} className="mt-4 space-y-4">
      <input type="hidden" name="intent" value="enroll" />
      <input type="hidden" name="redirectTo" value={returnTo} />
      {course.policy === "INVITE" ? (
        <Field
          label="Invite code"
          name="inviteCode"
          defaultValue={code ?? ""}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          maxLength={32}
          required
          hint={`The code ${course.instructorName} gave you, or the one in your invite link.`}
          error={error}
        />
      ) : error ? (
        <p className="text-sm font-medium text-live-700" role="alert">
          {error}
        </p>
      ) : null}
      <Button type="submit" pending={pending} data-testid="enroll">
        {course.policy === "INVITE" ? "Enroll with this code" : "Enroll"}
      </Button>
    </Form>
  );
}

function Explain({ children }: { children: ReactNode }) {
  return <p className="mt-2 text-sm text-slate-700">{children}</p>;
}
