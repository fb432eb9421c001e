import type { Context } from "../context";
import { insertUsers } from "./services";

/** An instructor, a course and one session in the given status (LIVE by default). */
export async function createSessionFixture(
  services: Pick<Context, "db">,
  status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED" = "LIVE",
) {
  const [instructor] = await insertUsers(services, 1, {
    role: "INSTRUCTOR",
    emailPrefix: `teacher-${crypto.randomUUID().slice(0, 8)}`,
  });
  const course = await services.db.course.create({
    data: { slug: `course-${crypto.randomUUID()}`, title: "Fixture course", instructorId: instructor!.id },
  });
  const session = await services.db.liveSession.create({
    data: {
      courseId: course.id,
      title: "Fixture session",
      status,
      startsAt: new Date(),
      plannedDurationMinutes: 60,
      startedAt: status === "LIVE" ? new Date() : null,
    },
  });
  return {
    instructor: { id: instructor!.id, role: "INSTRUCTOR" as const, familyId: crypto.randomUUID() },
    course,
    session,
  };
}

export const asSessionUser = (user: { id: string; role: "STUDENT" | "INSTRUCTOR" | "ADMIN" }) => ({
  id: user.id,
  role: user.role,
  familyId: crypto.randomUUID(),
});

/**
 * Enrolls users in a course (docs/decisions/020: the room is for enrolled students, the instructor
 * and admins). Tests whose students open a room before joining it enroll them first, as the course
 * page's Enroll would.
 */
export async function enrollUsers(services: Pick<Context, "db">, courseId: string, users: { id: string }[]) {
  await services.db.enrollment.createMany({
    data: users.map((user) => ({ courseId, userId: user.id, source: "SELF" as const })),
    skipDuplicates: true,
  });
}

/**
 * What joins leave behind, written in bulk: an active row per user in a live session (joined and
 * last seen at `lastSeenAt(i)`), and one connection each (`<userId>:stale-tab`, scored with that time)
 * in the presence set and its per-user index. Fresh table statistics, as a live database has.
 */
export async function insertParticipantsLastSeen(
  services: Pick<Context, "db" | "redis" | "keys">,
  sessionId: string,
  userIds: string[],
  lastSeenAt: (index: number) => number,
) {
  const seen = userIds.map((_, i) => lastSeenAt(i));
  await services.db.$executeRaw`
    INSERT INTO "SessionParticipant" ("sessionId", "userId", "joinedAt", "lastSeenAt")
    SELECT ${sessionId}::uuid, u.id, to_timestamp(u.seen / 1000.0), to_timestamp(u.seen / 1000.0)
    FROM unnest(${userIds}::uuid[], ${seen}::float8[]) AS u(id, seen)`;
  const pipeline = services.redis.pipeline();
  for (let i = 0; i < userIds.length; i += 1_000) {
    const chunk = userIds.slice(i, i + 1_000);
    pipeline.zadd(services.keys.presence(sessionId), ...chunk.flatMap((id, j) => [seen[i + j]!, `${id}:stale-tab`]));
    pipeline.hset(services.keys.presenceUsers(sessionId), Object.fromEntries(chunk.map((id) => [id, "stale-tab"])));
  }
  await pipeline.exec();
  await services.db.$executeRawUnsafe(`ANALYZE "SessionParticipant"`);
}
