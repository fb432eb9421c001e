import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { AreaErrorBoundary } from "../components/forbidden";
import { forbidden, managesCourse, orPageError, requireArea } from "../components/forbidden.server";
import { CalendarIcon } from "../components/icons";
import { Backdrop } from "../components/backdrop";
import { formatLocal } from "../lib/time";
import { useNow } from "../components/sessions/use-now";
import { actionErrorFrom } from "../components/teach/action-errors.server";
import type { FormErrors } from "../lib/form-errors.server";
import { readSessionForm, sessionFormError } from "../components/teach/session-form.server";
import { CourseForm } from "../components/teach/course-form";
import { POLICY_LABEL, coursePath } from "../components/courses/enrollment";
import { EnrollmentSettings, RosterSection } from "../components/teach/enrollment";
import { plural } from "../components/teach/format";
import { skipNoticeRevalidation, useNotice } from "../components/teach/notice";
import { SessionForm } from "../components/teach/session-form";
import { SessionRow } from "../components/teach/session-row";
import type { TeachActionResult, TeachSession } from "../components/teach/types";
import { useAutoRevalidate } from "../lib/use-auto-revalidate";
import { ButtonLink, Card, EmptyState } from "../components/ui";
import { PageHeader, Section } from "../components/ui/page-header";
import { ToastRegion, useToasts } from "../components/ui/toast";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.course.title ?? "Course"} · Teach · Livehall` },
];

const PAST_PER_PAGE = 10;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireArea(request, context, "teach");
  const courseId = params.courseId!;
  const course = await orPageError(
    "teach",
    context.caller.course.byId({ courseId }),
    "This course does not exist, or it was removed.",
  );
  if (!managesCourse(user, course.instructor.id)) throw forbidden("teach");

  const pastCursor = new URL(request.url).searchParams.get("past") || undefined;
  const list = (tab: "live" | "upcoming" | "ended", limit: number, cursor?: string) =>
    context.caller.session.list({ tab, courseId, limit, cursor });
  const [roster, live, upcoming, past] = await Promise.all([
    context.caller.course.roster({ courseId }),
    list("live", 50),
    list("upcoming", 50),
    list("ended", PAST_PER_PAGE, pastCursor).catch((error: unknown) => {
      if (pastCursor && error instanceof TRPCError && error.code === "BAD_REQUEST") return list("ended", PAST_PER_PAGE);
      throw error;
    }),
  ]);
  const { sessions: _sessions, ...courseInfo } = course;
  const origin = new URL(request.url).origin;
  return {
    course: courseInfo,
    roster,
    inviteLink: roster.inviteCode
      ? `${origin}/courses/${course.slug}?${new URLSearchParams({ code: roster.inviteCode })}`
      : null,
    live: live.items,
    upcoming: upcoming.items,
    past: past.items,
    pastNext: past.nextCursor,
    pastPaged: Boolean(pastCursor),
    now: new Date().toISOString(),
    refreshMs: Math.min(context.services.config.timings.sessionsRefreshMs, 10_000),
  };
}

export const shouldRevalidate = skipNoticeRevalidation;

function stringValues<K extends string>(form: FormData, names: K[]): Record<K, string> {
  return Object.fromEntries(names.map((name) => [name, String(form.get(name) ?? "")])) as Record<K, string>;
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  requireArea(request, context, "teach");
  const courseId = params.courseId!;
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const fail = (errors: FormErrors, status: number, values?: Record<string, string>) =>
    data<TeachActionResult>({ ok: false, intent, errors, values }, { status });

  if (intent === "update-course") {
    const values = stringValues(form, ["title", "description"]);
    try {
      await context.caller.course.update({ courseId, title: values.title, description: values.description });
      return data<TeachActionResult>({ ok: true, intent, message: "Course details saved" });
    } catch (error) {
      const { errors, status } = actionErrorFrom(error);
      return fail(errors, status, values);
    }
  }

  if (intent === "schedule" || intent === "series") {
    const series = intent === "series";
    const read = readSessionForm(form, { series });
    if (read.errors) return fail(read.errors, 400, read.values);
    try {
      if (series) {
        const { items } = await context.caller.session.createSeries({
          courseId,
          ...read.session,
          count: read.count,
          timeZone: read.timeZone,
        });
        return data<TeachActionResult>({
          ok: true,
          intent,
          message: `${items.length} weekly sessions of “${items[0]!.title}” are scheduled`,
          detail: items[0]!.startsAt.toISOString(),
        });
      }
      const session = await context.caller.session.create({ courseId, ...read.session });
      return data<TeachActionResult>({
        ok: true,
        intent,
        message: `“${session.title}” is scheduled`,
        detail: session.startsAt.toISOString(),
      });
    } catch (error) {
      const { errors, status } = sessionFormError(error);
      return fail(errors, status, read.values);
    }
  }

  const enrollment = await enrollmentAction(context, courseId, intent, form);
  if (enrollment) return enrollment;

  return fail({ form: "Unknown action. Reload the page and try again." }, 400);
}

/** The roster's and the enrollment settings' intents (docs/decisions/020); null for any other intent. */
async function enrollmentAction(
  context: ActionFunctionArgs["context"],
  courseId: string,
  intent: string,
  form: FormData,
) {
  const course = context.caller.course;
  const ok = (message: string) => data<TeachActionResult>({ ok: true, intent, message });
  try {
    switch (intent) {
      case "set-policy": {
        const policy = String(form.get("policy") ?? "");
        if (policy !== "OPEN" && policy !== "INVITE" && policy !== "CLOSED") {
          return data<TeachActionResult>(
            { ok: false, intent, errors: { form: "Choose who can enroll." } },
            { status: 400 },
          );
        }
        await course.setPolicy({ courseId, policy });
        return ok(`Enrollment: ${POLICY_LABEL[policy].toLowerCase()}`);
      }
      case "rotate-code":
        await course.setInviteCode({ courseId, enabled: true });
        return ok("New invite code: the old link no longer works");
      case "disable-code":
        await course.setInviteCode({ courseId, enabled: false });
        return ok("Invite link turned off");
      case "add-students": {
        const emails = String(form.get("emails") ?? "")
          .split(/[\s,;]+/)
          .filter(Boolean);
        const added = await course.addStudents({ courseId, emails });
        const parts = [
          added.enrolled.length ? `${plural(added.enrolled.length, "person", "people")} enrolled` : null,
          added.invited.length ? `${plural(added.invited.length, "invitation")} waiting for sign-up` : null,
          added.already.length ? `${added.already.length} already enrolled` : null,
        ];
        return ok(parts.filter(Boolean).join(", "));
      }
      case "remove-student":
        await course.removeStudent({ courseId, userId: String(form.get("userId") ?? "") });
        return ok("Removed from the course");
      case "cancel-invitation":
        await course.cancelInvitation({ courseId, email: String(form.get("email") ?? "") });
        return ok("Invitation cancelled");
      default:
        return null;
    }
  } catch (error) {
    const { errors, status } = actionErrorFrom(error, { sayWhenToRetry: intent === "add-students" });
    return data<TeachActionResult>({ ok: false, intent, errors }, { status });
  }
}

const NOTICES: Record<string, { title: string; body?: string }> = {
  "course-created": { title: "Course created", body: "Schedule its first live session with the form on this page." },
};

export default function CoursePage() {
  const data = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = navigation.state !== "idle" ? navigation.formData?.get("intent") : null;
  const now = useNow(data.now, 15_000);
  const { toasts, push, dismiss } = useToasts();
  useAutoRevalidate(data.refreshMs);
  useNotice(useCallback((notice: string) => NOTICES[notice] && push({ tone: "success", ...NOTICES[notice]! }), [push]));

  // Success of this page's own forms: a toast, and the form that was sent starts again empty.
  const [scheduleKey, setScheduleKey] = useState(0);
  const [seriesKey, setSeriesKey] = useState(0);
  const [addKey, setAddKey] = useState(0);
  const reported = useRef<unknown>(null);
  useEffect(() => {
    if (!answer || reported.current === answer || !answer.ok) return;
    reported.current = answer;
    if (answer.intent === "schedule" || answer.intent === "series") {
      (answer.intent === "schedule" ? setScheduleKey : setSeriesKey)((key) => key + 1);
      push({
        tone: "success",
        title: answer.message ?? "Session scheduled",
        body: answer.detail
          ? `${answer.intent === "series" ? "The first starts" : "Starts"} ${formatLocal(new Date(answer.detail))}.`
          : undefined,
      });
    } else {
      if (answer.intent === "add-students") setAddKey((key) => key + 1);
      push({ tone: "success", title: answer.message ?? "Saved" });
    }
  }, [answer, push]);
  const onSessionDone = useCallback(
    (result: Extract<TeachActionResult, { ok: true }>) => push({ tone: "success", title: result.message ?? "Done" }),
    [push],
  );

  const failed = answer && !answer.ok ? answer : null;
  const { course } = data;
  const total = data.live.length + data.upcoming.length + data.past.length;

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-8 pb-16 sm:px-6 sm:pt-10 lg:px-8">
        <PageHeader
          crumbs={[{ label: "Teach", to: "/teach" }, { label: course.title }]}
          title={course.title}
          description={
            <>
              <Link
                to={coursePath(course.slug)}
                className="font-mono text-sm text-brand-700 underline underline-offset-4"
                data-testid="course-page-link"
              >
                /courses/{course.slug}
              </Link>
              <span aria-hidden="true"> · </span>
              <span className="text-sm">Taught by {course.instructor.name}</span>
              <span aria-hidden="true"> · </span>
              <span className="text-sm">{plural(course.sessionCount, "session")}</span>
            </>
          }
          actions={
            <>
              <ButtonLink to="#schedule" variant="primary">
                Schedule a session
              </ButtonLink>
              <ButtonLink to="#series" variant="secondary">
                Schedule a series
              </ButtonLink>
            </>
          }
        />
        {course.description ? (
          <p className="mt-4 max-w-3xl text-sm leading-relaxed text-slate-700">{course.description}</p>
        ) : null}

        <div className="mt-10 grid gap-8 lg:grid-cols-[minmax(0,1fr)_22rem] xl:grid-cols-[minmax(0,1fr)_26rem]">
          <div className="min-w-0 space-y-10">
            {total === 0 ? (
              <EmptyState icon={<CalendarIcon className="size-6" />} title="No sessions yet">
                Schedule the first live session of this course with the form. It shows here, ready to start.
              </EmptyState>
            ) : null}
            {data.live.length > 0 ? (
              <SessionList title="Live now" id="live" sessions={data.live} now={now} onDone={onSessionDone} />
            ) : null}
            {total > 0 ? (
              <SessionList
                title="Upcoming"
                id="upcoming"
                sessions={data.upcoming}
                now={now}
                onDone={onSessionDone}
                empty="Nothing scheduled. Plan the next session with the form."
              />
            ) : null}
            {data.past.length > 0 || data.pastPaged ? (
              <SessionList
                title="Past"
                id="past"
                description="Ended and cancelled sessions, latest first."
                sessions={data.past}
                now={now}
                onDone={onSessionDone}
                footer={
                  data.pastNext || data.pastPaged ? (
                    <nav aria-label="Past session pages" className="mt-5 flex justify-center gap-3">
                      {data.pastPaged ? (
                        <ButtonLink to="." variant="secondary" size="sm" preventScrollReset>
                          Latest sessions
                        </ButtonLink>
                      ) : null}
                      {data.pastNext ? (
                        <ButtonLink
                          to={`?past=${encodeURIComponent(data.pastNext)}`}
                          variant="secondary"
                          size="sm"
                          preventScrollReset
                        >
                          Older sessions
                        </ButtonLink>
                      ) : null}
                    </nav>
                  ) : null
                }
              />
            ) : null}
            <RosterSection roster={data.roster} courseTitle={course.title} />
          </div>

          <aside className="space-y-6" aria-label="Course tools">
            <Card className="scroll-mt-24 p-5 sm:p-6" id="schedule">
              <h2 className="text-lg font-semibold tracking-tight text-slate-900">Schedule a session</h2>
              <p className="mt-1 mb-5 text-sm text-slate-600">
                Students see it under Upcoming at once. You start it from this page when it is time.
              </p>
              <SessionForm
                kind="schedule"
                resetKey={scheduleKey}
                pending={submitting === "schedule"}
                errors={failed?.intent === "schedule" ? failed.errors : undefined}
                values={failed?.intent === "schedule" ? failed.values : undefined}
              />
            </Card>
            <Card className="scroll-mt-24 p-5 sm:p-6" id="series">
              <h2 className="text-lg font-semibold tracking-tight text-slate-900">Schedule a series</h2>
              <p className="mt-1 mb-5 text-sm text-slate-600">
                A session every week at the same time of day, also when the clocks change. Each one can be edited or
                cancelled on its own afterwards.
              </p>
              <SessionForm
                kind="series"
                resetKey={seriesKey}
                pending={submitting === "series"}
                errors={failed?.intent === "series" ? failed.errors : undefined}
                values={failed?.intent === "series" ? failed.values : undefined}
              />
            </Card>
            <EnrollmentSettings roster={data.roster} inviteLink={data.inviteLink} failed={failed} addKey={addKey} />
            <Card className="p-5 sm:p-6">
              <h2 className="text-lg font-semibold tracking-tight text-slate-900">Course details</h2>
              <p className="mt-1 mb-5 text-sm text-slate-600">
                The address <span className="font-mono">/courses/{course.slug}</span> stays the same, so shared links
                keep working.
              </p>
              <CourseForm
                intent="update-course"
                // After a save the form shows the saved values (from the reloaded course).
                resetKey={`${course.title}\u0000${course.description}`}
                pending={submitting === "update-course"}
                errors={failed?.intent === "update-course" ? failed.errors : undefined}
                values={
                  failed?.intent === "update-course"
                    ? failed.values
                    : { title: course.title, description: course.description }
                }
              />
            </Card>
          </aside>
        </div>
      </div>
      <ToastRegion toasts={toasts} onDismiss={dismiss} />
    </div>
  );
}

function SessionList({
  title,
  id,
  description,
  sessions,
  now,
  onDone,
  empty,
  footer,
}: {
  title: string;
  id: string;
  description?: string;
  sessions: TeachSession[];
  now: Date;
  onDone: (result: Extract<TeachActionResult, { ok: true }>) => void;
  empty?: string;
  footer?: ReactNode;
}) {
  return (
    <Section title={title} count={sessions.length} id={id} description={description}>
      {sessions.length === 0 ? (
        <p className="rounded-card border border-dashed border-slate-300 bg-white/40 px-5 py-6 text-sm text-slate-600">
          {empty}
        </p>
      ) : (
        <ul className="space-y-3">
          {sessions.map((session) => (
            <SessionRow key={session.id} session={session} now={now} onDone={onDone} />
          ))}
        </ul>
      )}
      {footer}
    </Section>
  );
}

export function ErrorBoundary() {
  return <AreaErrorBoundary area="teach" />;
}
