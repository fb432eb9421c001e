import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useFetcher, useLoaderData } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { Backdrop } from "../components/backdrop";
import { DetailPageError } from "../components/detail-page-error";
import { CheckCircleIcon } from "../components/icons";
import { initials } from "../components/initials";
import { JoinCourse, POLICY_LABEL, PolicyBadge, coursePath } from "../components/courses/enrollment";
import { CalendarFileLink } from "../components/sessions/add-to-calendar";
import { AbsoluteTime } from "../components/sessions/session-time";
import { SessionStatusBadge } from "../components/sessions/status-badge";
import { actionMessageFrom } from "../components/teach/action-errors.server";
import { Alert, ButtonLink, Card } from "../components/ui";
import { ConfirmButton } from "../components/ui/confirm-dialog";
import { EyebrowPill, PageHeader, Section } from "../components/ui/page-header";
import { safeRedirect } from "../lib/redirect";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: loaded ? `${loaded.course.title} · Livehall` : "Course · Livehall" },
  { name: "description", content: loaded?.course.description.slice(0, 160) || "A course on Livehall." },
];

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function notFound(): never {
  throw new Response("This course does not exist.", { status: 404 });
}

async function loadCourse(context: LoaderFunctionArgs["context"], slug: string | undefined) {
  if (!slug || slug.length > 60 || !SLUG.test(slug)) notFound();
  return context.caller.course.bySlug({ slug }).catch((error: unknown) => {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") notFound();
    throw error;
  });
}

/** The course page (public): the course, its instructor, its sessions, and how to enroll. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const course = await loadCourse(context, params.slug);
  return {
    course,
    signedIn: context.auth.user !== null,
    /** From an invite link (`?code=…`): filled into the form. */
    code: new URL(request.url).searchParams.get("code")?.slice(0, 32) ?? null,
  };
}

type EnrollAnswer = { ok: true; intent: "enroll" | "unenroll" } | { ok: false; message: string };

/**
 * Enroll (with the invite code of an invite-only course) or unenroll. After enrolling, a `redirectTo`
 * (the session room that sent the visitor here) is where they go next.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const course = await loadCourse(context, params.slug);
  const form = await request.formData();
  const intent = form.get("intent");
  if (!context.auth.user) return data<EnrollAnswer>({ ok: false, message: "Sign in first." }, { status: 401 });
  try {
    if (intent === "enroll") {
      const inviteCode = String(form.get("inviteCode") ?? "").trim();
      await context.caller.course.enroll({ courseId: course.id, ...(inviteCode ? { inviteCode } : {}) });
      const next = safeRedirect(form.get("redirectTo"), "");
      if (next && next !== coursePath(course.slug)) throw redirect(next);
      return data<EnrollAnswer>({ ok: true, intent });
    }
    if (intent === "unenroll") {
      await context.caller.course.unenroll({ courseId: course.id });
      return data<EnrollAnswer>({ ok: true, intent });
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    const { message, status } = actionMessageFrom(error, "That did not work. Try again.");
    return data<EnrollAnswer>({ ok: false, message }, { status });
  }
  return data<EnrollAnswer>({ ok: false, message: "Unknown action." }, { status: 400 });
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;
type Course = Loaded["course"];
type CourseSession = Course["upcoming"][number];

export default function CoursePage() {
  const { course, signedIn, code } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-6xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14 lg:px-8">
        <PageHeader
          crumbs={[{ label: "Sessions", to: "/sessions" }, { label: course.title }]}
          eyebrow={<EyebrowPill>Course</EyebrowPill>}
          title={course.title}
          description={
            <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
              <span className="inline-flex items-center gap-2 text-slate-700">
                <span
                  className="flex size-7 items-center justify-center rounded-full bg-gradient-to-br from-brand-600 to-accent-600 text-[0.625rem] font-bold text-white"
                  aria-hidden="true"
                >
                  {initials(course.instructor.name)}
                </span>
                <span>
                  Taught by <span className="font-semibold text-slate-900">{course.instructor.name}</span>
                </span>
              </span>
              <PolicyBadge policy={course.policy} />
              <span className="text-sm text-slate-600">
                {course.studentCount} {course.studentCount === 1 ? "student" : "students"}
              </span>
            </div>
          }
        />

        <div className="mt-8 grid gap-8 lg:grid-cols-3">
          <div className="space-y-8 lg:col-span-2">
            {course.description ? (
              <p className="text-base leading-7 whitespace-pre-line text-slate-700" data-testid="course-description">
                {course.description}
              </p>
            ) : null}
            <Section title="Live and upcoming sessions" count={course.upcoming.length}>
              <SessionList
                sessions={course.upcoming}
                empty="Nothing is scheduled right now. New sessions appear here as soon as they are planned."
              />
            </Section>
            <Section title="Past sessions" count={course.past.length}>
              <SessionList sessions={course.past} empty="No session of this course has taken place yet." />
            </Section>
          </div>
          <aside aria-label="Enrollment">
            <EnrollmentCard course={course} signedIn={signedIn} code={code} answer={answer ?? null} />
          </aside>
        </div>
      </div>
    </div>
  );
}

function EnrollmentCard({
  course,
  signedIn,
  code,
  answer,
}: {
  course: Course;
  signedIn: boolean;
  code: string | null;
  answer: EnrollAnswer | null;
}) {
  const viewer = course.viewer;
  const here = coursePath(course.slug);
  return (
    <Card as="section" aria-labelledby="enrollment-title" className="p-5 sm:p-6" data-testid="enrollment-card">
      {viewer?.teaches || viewer?.manages ? (
        <>
          <h2 id="enrollment-title" className="text-lg font-semibold text-slate-900">
            {viewer.teaches ? "You teach this course" : "You run every course as an admin"}
          </h2>
          <p className="mt-2 text-sm text-slate-700">
            {POLICY_LABEL[course.policy]}. Who is enrolled, invite codes and invitations are on its Teach page.
          </p>
          <ButtonLink to={`/teach/courses/${course.id}`} variant="secondary" className="mt-4">
            Manage enrollment
          </ButtonLink>
        </>
      ) : viewer?.enrolledAt ? (
        <Enrolled course={course} enrolledAt={new Date(viewer.enrolledAt)} answer={answer} />
      ) : (
        <>
          <h2 id="enrollment-title" className="flex flex-wrap items-center gap-2 text-lg font-semibold text-slate-900">
            {course.policy === "OPEN" ? "Join this course" : POLICY_LABEL[course.policy]}
          </h2>
          {answer?.ok && answer.intent === "unenroll" ? (
            <Alert tone="success" className="mt-3">
              You left this course. You can no longer join its live sessions.
            </Alert>
          ) : null}
          {course.policy === "OPEN" ? (
            <p className="mt-2 text-sm text-slate-700">
              Enroll to join its live sessions, take part in chat and questions, and rate what you attended.
            </p>
          ) : null}
          <JoinCourse
            course={{ ...course, instructorName: course.instructor.name }}
            signedIn={signedIn}
            returnTo={here}
            code={code}
            error={answer && !answer.ok ? answer.message : null}
          />
        </>
      )}
    </Card>
  );
}

function Enrolled({ course, enrolledAt, answer }: { course: Course; enrolledAt: Date; answer: EnrollAnswer | null }) {
  const fetcher = useFetcher<typeof action>({ key: `unenroll:${course.id}` });
  const failure = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.message : null;
  return (
    <>
      <h2 id="enrollment-title" className="flex items-center gap-2 text-lg font-semibold text-slate-900">
        <CheckCircleIcon className="size-5 text-success-700" />
        Enrolled
      </h2>
      {answer?.ok && answer.intent === "enroll" ? (
        <Alert tone="success" className="mt-3">
          You&rsquo;re in. Its live sessions are on your schedule.
        </Alert>
      ) : null}
      <p className="mt-2 text-sm text-slate-700">
        Since <AbsoluteTime date={enrolledAt} />. You can join its live sessions; they are on{" "}
        <Link to="/schedule" className="font-semibold text-brand-700 underline underline-offset-4">
          your schedule
        </Link>
        .
      </p>
      <div className="mt-4">
        <ConfirmButton
          title={`Leave ${course.title}?`}
          description={
            course.policy === "OPEN"
              ? "You leave any of its live sessions at once. You can enroll again later."
              : course.policy === "INVITE"
                ? "You leave any of its live sessions at once. To come back you need a current invite code."
                : `You leave any of its live sessions at once. To come back, ${course.instructor.name} has to add you again.`
          }
          confirmLabel="Leave the course"
          cancelLabel="Stay enrolled"
          confirmVariant="live"
          pending={fetcher.state !== "idle"}
          onConfirm={() => fetcher.submit({ intent: "unenroll" }, { method: "post", action: coursePath(course.slug) })}
        >
          Unenroll
        </ConfirmButton>
        {failure ? (
          <Alert tone="error" className="mt-3">
            {failure}
          </Alert>
        ) : null}
      </div>
    </>
  );
}

function SessionList({ sessions, empty }: { sessions: CourseSession[]; empty: string }) {
  if (sessions.length === 0) {
    return (
      <p className="rounded-card border border-dashed border-slate-300 bg-white/40 px-4 py-6 text-sm text-slate-600">
        {empty}
      </p>
    );
  }
  return (
    <ul className="divide-y divide-slate-900/5 overflow-hidden rounded-card border border-white/70 bg-white/50 shadow-card">
      {sessions.map((session) => (
        <li key={session.id} className="flex flex-col gap-2 p-4 sm:flex-row sm:items-center sm:justify-between">
          <div className="min-w-0">
            <Link
              to={`/sessions/${session.id}`}
              className="font-semibold wrap-anywhere text-slate-900 underline-offset-4 hover:text-brand-700 hover:underline"
            >
              {session.title}
            </Link>
            <p className="mt-0.5 text-sm text-slate-600">
              <AbsoluteTime date={new Date(session.startedAt ?? session.startsAt)} /> · {session.plannedDurationMinutes}{" "}
              min
            </p>
          </div>
          <div className="flex items-center gap-2 self-start sm:self-center">
            {session.status === "SCHEDULED" ? (
              <CalendarFileLink href={`/sessions/${session.id}/calendar.ics`} title={session.title} />
            ) : null}
            <SessionStatusBadge status={session.status} />
          </div>
        </li>
      ))}
    </ul>
  );
}

export function ErrorBoundary() {
  return <DetailPageError thing="Course" />;
}
