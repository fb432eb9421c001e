import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "../root";

export const meta: MetaFunction = () => [
  { title: "Livehall — live classes" },
  { name: "description", content: "Live class sessions for online courses." },
];

export async function loader({ context }: LoaderFunctionArgs) {
  const { items } = await context.caller.course.list();
  return { courses: items };
}

type Course = Awaited<ReturnType<typeof loader>>["courses"][number];

function CourseCard({ course }: { course: Course }) {
  return (
    <li>
      <article className="flex h-full flex-col rounded-2xl border border-slate-200 bg-white p-6 shadow-sm transition hover:-translate-y-0.5 hover:shadow-md">
        <h2 className="text-lg font-semibold text-slate-900">{course.title}</h2>
        <p className="mt-1 text-sm font-medium text-brand-600">{course.instructor.name}</p>
        {course.description ? (
          <p className="mt-3 line-clamp-3 flex-1 text-sm leading-6 text-slate-600">{course.description}</p>
        ) : (
          <div className="flex-1" />
        )}
        <p className="mt-5 inline-flex w-fit items-center rounded-full bg-brand-50 px-3 py-1 text-xs font-medium text-brand-700">
          {course.sessionCount === 1 ? "1 live session" : `${course.sessionCount} live sessions`}
        </p>
      </article>
    </li>
  );
}

export default function Index() {
  const { courses } = useLoaderData<typeof loader>();
  const user = useRouteLoaderData<typeof rootLoader>("root")?.user;
  return (
    <main className="min-h-screen bg-gradient-to-br from-slate-50 to-slate-100">
      <div className="mx-auto max-w-6xl px-4 py-12 sm:px-6 lg:px-8">
        <header className="mb-10">
          <h1 className="text-4xl font-bold tracking-tight text-slate-900">Livehall</h1>
          <p className="mt-2 text-lg text-slate-600">Live classes with the people who teach them.</p>
          {user ? <p className="mt-2 text-sm text-slate-600">Signed in as {user.name}</p> : null}
        </header>
        <section aria-labelledby="courses-heading">
          <h2 id="courses-heading" className="mb-4 text-sm font-semibold uppercase tracking-wide text-slate-500">
            Courses
          </h2>
          {courses.length === 0 ? (
            <p className="rounded-2xl border border-dashed border-slate-300 bg-white/60 p-10 text-center text-slate-600">
              No courses yet.
            </p>
          ) : (
            <ul className="grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
              {courses.map((course) => (
                <CourseCard key={course.id} course={course} />
              ))}
            </ul>
          )}
        </section>
      </div>
    </main>
  );
}
