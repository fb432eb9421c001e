import { LockIcon } from "../icons";
import { CourseLink, JoinCourse, type EnrollmentPolicy } from "../courses/enrollment";
import { Card } from "../ui";

export interface RoomAccessView {
  allowed: boolean;
  enrolled: boolean;
  policy: EnrollmentPolicy;
  courseSlug: string;
  instructorName: string;
}

const HEADLINE: Record<EnrollmentPolicy, string> = {
  OPEN: "Enroll in the course to join",
  INVITE: "Only the course's students can join",
  CLOSED: "Only the course's students can join",
};

/**
 * In place of the room for a signed-in viewer who may not be in it (docs/decisions/020): what the
 * course's policy offers — Enroll (open), the invite-code form (invite only) or whom to ask (closed).
 * Enrolling brings them back here, ready to join.
 */
export function EnrollPrompt({
  access,
  course,
  sessionId,
}: {
  access: RoomAccessView;
  course: { title: string };
  sessionId: string;
}) {
  const courseView = { slug: access.courseSlug, title: course.title };
  return (
    <Card
      as="section"
      aria-labelledby="enroll-title"
      className="p-5 ring-1 ring-brand-200 sm:p-8"
      data-testid="enroll-prompt"
    >
      <div className="flex items-start gap-4">
        <span className="flex size-11 shrink-0 items-center justify-center rounded-2xl bg-brand-50 text-brand-700 ring-1 ring-brand-100">
          <LockIcon className="size-5" />
        </span>
        <div className="min-w-0">
          <h2 id="enroll-title" className="text-xl font-bold tracking-tight text-slate-900">
            {HEADLINE[access.policy]}
          </h2>
          <p className="mt-1 text-sm text-slate-700">
            It belongs to <CourseLink course={courseView} />. The room, its chat and questions are for students enrolled
            in the course.
          </p>
        </div>
      </div>
      <div className="sm:pl-15">
        <JoinCourse
          course={{ ...courseView, policy: access.policy, instructorName: access.instructorName }}
          signedIn
          returnTo={`/sessions/${sessionId}`}
        />
      </div>
    </Card>
  );
}
