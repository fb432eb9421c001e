import type { Db } from "@livehall/db";

export interface CourseListInput {
  cursor?: string | undefined;
  limit: number;
}

/** Courses by title (then id, so the order is total and cursors are stable). */
export async function listCourses(db: Db, input: CourseListInput) {
  const rows = await db.course.findMany({
    orderBy: [{ title: "asc" }, { id: "asc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: {
      id: true,
      slug: true,
      title: true,
      description: true,
      instructor: { select: { id: true, name: true } },
      _count: { select: { sessions: true } },
    },
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map(({ _count, ...course }) => ({ ...course, sessionCount: _count.sessions })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
