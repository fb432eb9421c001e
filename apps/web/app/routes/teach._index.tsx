import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { useMemo } from "react";
import { AreaErrorBoundary } from "../components/forbidden";
import { managesCourse, requireArea } from "../components/forbidden.server";
import { ArrowRightIcon, BookIcon, BroadcastIcon, CalendarIcon, UsersIcon } from "../components/icons";
import { Backdrop } from "../components/backdrop";
import { RelativeTime } from "../components/sessions/session-time";
import { useNow } from "../components/sessions/use-now";
import { actionErrorFrom } from "../components/teach/action-errors.server";
import { CourseForm } from "../components/teach/course-form";
import { plural } from "../components/teach/format";
import { skipNoticeRevalidation, withNotice } from "../components/teach/notice";
import type { ManagedCourse, TeachSession } from "../components/teach/types";
import { CourseLink, coursePath } from "../components/courses/enrollment";
import { useAutoRevalidate } from "../lib/use-auto-revalidate";
import { ButtonLink, Card, EmptyState, LiveDot } from "../components/ui";
import { EyebrowPill, PageHeader, Section } from "../components/ui/page-header";
import { StatCard } from "../components/ui/stat";

export const meta: MetaFunction = () => [{ title: "Teach · Livehall" }];

const COURSES_PER_PAGE = 24;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireArea(request, context, "teach");
  const cursor = new URL(request.url).searchParams.get("cursor") || undefined;
  const courses = (withCursor: string | undefined) =>
    context.caller.course.mine({ cursor: withCursor, limit: COURSES_PER_PAGE });
  const [page, live] = await Promise.all([
    courses(cursor).catch((error: unknown) => {
      // A cursor that is not a course any more (hand-edited URL, deleted course): the first page.
      if (cursor && error instanceof TRPCError) return courses(undefined);
      throw error;
    }),
    context.caller.session.list({ tab: "live", limit: 50 }),
  ]);
  return {
    isAdmin: user.role === "ADMIN",
    courses: page,
    paged: Boolean(cursor),
    // The live sessions of the courses this user runs (all of them for an admin).
    live: live.items.filter((session) => managesCourse(user, session.instructor.id)),
    now: new Date().toISOString(),
    refreshMs: Math.min(context.services.config.timings.sessionsRefreshMs, 10_000),
  };
}

export const shouldRevalidate = skipNoticeRevalidation;

export async function action({ request, context }: ActionFunctionArgs) {
  requireArea(request, context, "teach");
  const form = await request.formData();
  const values = {
    title: String(form.get("title") ?? ""),
    slug: String(form.get("slug") ?? "").trim(),
    description: String(form.get("description") ?? ""),
  };
  if (form.get("intent") !== "create-course") {
    return data(
      { ok: false as const, errors: { form: "Unknown action. Reload the page and try again." }, values },
      { status: 400 },
    );
  }
  try {
    const course = await context.caller.course.create({
      title: values.title,
      description: values.description,
      slug: values.slug || undefined,
    });
    return redirect(withNotice(`/teach/courses/${course.id}`, "course-created"));
  } catch (error) {
    const { errors, status } = actionErrorFrom(error, {
      fieldFor: (reason) => (reason === "SLUG_TAKEN" ? "slug" : undefined),
    });
    return data({ ok: false as const, errors, values }, { status });
  }
}

export default function TeachPage() {
  const data = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const creating = navigation.state !== "idle" && navigation.formData?.get("intent") === "create-course";
  const now = useNow(data.now, 15_000);
  useAutoRevalidate(data.refreshMs);

  const sessionCount = data.courses.items.reduce((sum, course) => sum + course.sessionCount, 0);
  const inRooms = data.live.reduce((sum, session) => sum + session.participantCount, 0);
  const more = data.courses.nextCursor !== null;

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14 lg:px-8">
        <PageHeader
          eyebrow={<EyebrowPill>{data.isAdmin ? "Teach · every course" : "Teach"}</EyebrowPill>}
          title="Your courses"
          description={
            data.isAdmin
              ? "As an admin you can run every course: schedule, start and end sessions, and read attendance and ratings."
              : "Create courses, schedule live sessions, run them, and see who attended and how it went."
          }
          actions={
            <ButtonLink to="#new-course" variant="primary">
              New course
            </ButtonLink>
          }
        />

        <ul className="mt-8 grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4" aria-label="At a glance">
          <li>
            <StatCard
              label="Courses"
              value={more ? `${data.courses.items.length}+` : data.courses.items.length}
              detail={data.isAdmin ? "on Livehall" : "that you teach"}
              icon={<BookIcon className="size-5" />}
            />
          </li>
          <li>
            <StatCard
              label="Sessions"
              value={more ? `${sessionCount}+` : sessionCount}
              detail="scheduled, live and past"
              icon={<CalendarIcon className="size-5" />}
              tone="accent"
            />
          </li>
          <li>
            <StatCard
              label="Live now"
              value={
                <span className="inline-flex items-center gap-2.5">
                  {data.live.length}
                  {data.live.length > 0 ? <LiveDot tone="red" /> : null}
                </span>
              }
              detail={data.live.length === 1 ? "session in progress" : "sessions in progress"}
              icon={<BroadcastIcon className="size-5" />}
              tone="live"
            />
          </li>
          <li>
            <StatCard
              label="In your rooms"
              value={inRooms}
              detail="people, right now"
              icon={<UsersIcon className="size-5" />}
              tone="success"
            />
          </li>
        </ul>

        <div className="mt-10 grid gap-8 lg:grid-cols-[minmax(0,1fr)_22rem] xl:grid-cols-[minmax(0,1fr)_24rem]">
          <div className="min-w-0 space-y-10">
            {data.live.length > 0 ? (
              <Section title="Live now" count={data.live.length} id="live-now">
                <ul className="space-y-3">
                  {data.live.map((session) => (
                    <LiveSessionItem key={session.id} session={session} now={now} />
                  ))}
                </ul>
              </Section>
            ) : null}

            <Section
              title="Courses"
              count={data.courses.items.length}
              id="courses"
              description={data.isAdmin ? "Every course, by title." : "The courses you teach, by title."}
            >
              {data.courses.items.length === 0 ? (
                <EmptyState icon={<BookIcon className="size-6" />} title="No courses yet">
                  Create your first course with the form. Then schedule its live sessions from the course page.
                </EmptyState>
              ) : (
                <ul className="grid gap-4 sm:grid-cols-2" data-testid="course-list">
                  {data.courses.items.map((course) => (
                    <li key={course.id}>
                      <CourseCard course={course} showInstructor={data.isAdmin} />
                    </li>
                  ))}
                </ul>
              )}
              {more || data.paged ? (
                <nav aria-label="Course pages" className="mt-6 flex justify-center gap-3">
                  {data.paged ? (
                    <ButtonLink to="/teach" variant="secondary" size="sm">
                      First page
                    </ButtonLink>
                  ) : null}
                  {more ? (
                    <ButtonLink
                      to={`/teach?cursor=${encodeURIComponent(data.courses.nextCursor!)}`}
                      variant="secondary"
                      size="sm"
                    >
                      Next courses
                    </ButtonLink>
                  ) : null}
                </nav>
              ) : null}
            </Section>
          </div>

          <aside aria-labelledby="new-course-heading" id="new-course" className="scroll-mt-24">
            <Card className="p-5 sm:p-6 lg:sticky lg:top-24">
              <h2 id="new-course-heading" className="text-lg font-semibold tracking-tight text-slate-900">
                New course
              </h2>
              <p className="mt-1 mb-5 text-sm text-slate-600">
                Give it a title now; you can change the title and description later.
              </p>
              <CourseForm intent="create-course" errors={answer?.errors} values={answer?.values} pending={creating} />
            </Card>
          </aside>
        </div>
      </div>
    </div>
  );
}

function CourseCard({ course, showInstructor }: { course: ManagedCourse; showInstructor: boolean }) {
  const to = `/teach/courses/${course.id}`;
  return (
    <Card interactive className="flex h-full flex-col p-5" data-testid="course-card">
      <h3 title={course.title} className="line-clamp-2 text-base font-semibold wrap-anywhere text-slate-900">
        <Link to={to} className="rounded underline-offset-4 hover:text-brand-700 hover:underline">
          {course.title}
        </Link>
      </h3>
      <p className="mt-0.5 truncate font-mono text-xs">
        <Link
          to={coursePath(course.slug)}
          className="rounded text-slate-600 underline-offset-4 hover:text-brand-700 hover:underline"
        >
          /courses/{course.slug}
        </Link>
      </p>
      <p className="mt-3 line-clamp-2 flex-1 text-sm text-slate-600">{course.description || "No description yet."}</p>
      <div className="mt-4 flex items-center justify-between gap-3 border-t border-slate-200/70 pt-4">
        <p className="text-sm text-slate-600">
          <span className="font-semibold text-slate-900">{plural(course.sessionCount, "session")}</span>
          {showInstructor ? <span className="block text-xs">by {course.instructor.name}</span> : null}
        </p>
        <ButtonLink to={to} variant="secondary" size="sm" aria-label={`Manage: ${course.title}`}>
          Manage
          <ArrowRightIcon className="size-4" />
        </ButtonLink>
      </div>
    </Card>
  );
}

function LiveSessionItem({ session, now }: { session: TeachSession; now: Date }) {
  const to = `/teach/sessions/${session.id}`;
  const started = useMemo(() => session.startedAt ?? session.startsAt, [session]);
  return (
    <li className="flex flex-col gap-4 rounded-card border border-live-200 bg-white/70 p-4 shadow-card ring-1 ring-live-100 backdrop-blur-sm sm:flex-row sm:items-center sm:p-5">
      <div className="min-w-0 flex-1">
        <p className="flex items-center gap-2 text-xs font-semibold tracking-wide text-live-700 uppercase">
          <LiveDot tone="red" />
          Live · <RelativeTime date={started} now={now} prefix="started" />
        </p>
        <h3 title={session.title} className="mt-1.5 line-clamp-2 text-base font-semibold wrap-anywhere text-slate-900">
          <Link to={to} className="rounded underline-offset-4 hover:text-brand-700 hover:underline">
            {session.title}
          </Link>
        </h3>
        <p title={session.course.title} className="mt-0.5 line-clamp-1 text-sm wrap-anywhere">
          <CourseLink
            course={session.course}
            className="rounded text-slate-600 underline-offset-4 hover:text-brand-700 hover:underline"
          />
        </p>
      </div>
      <div className="flex items-center gap-4">
        <span className="inline-flex items-center gap-1.5 text-sm font-medium text-live-700">
          <UsersIcon className="size-4" />
          {session.participantCount} in the room
        </span>
        <ButtonLink to={to} variant="live" size="sm" aria-label={`Run session: ${session.title}`}>
          Run session
        </ButtonLink>
      </div>
    </li>
  );
}

export function ErrorBoundary() {
  return <AreaErrorBoundary area="teach" />;
}
