import { z } from "zod";
import { COURSE_SLUG_MAX_LENGTH, COURSE_TITLE_MAX_LENGTH, DESCRIPTION_MAX_LENGTH } from "../limits";
import { createCourse, getCourse, listCourses, listManagedCourses, updateCourse } from "../services/course";
import {
  ADD_STUDENTS_MAX,
  ENROLLMENT_POLICIES,
  addStudents,
  cancelInvitation,
  coursePage,
  enroll,
  removeStudent,
  roster,
  setInviteCode,
  setPolicy,
  unenroll,
} from "../services/enrollment";
import { authedProcedure, createTRPCRouter, instructorProcedure, publicProcedure } from "../trpc";
import { linkToken, plainText } from "./inputs";
import { acceptInvitation, invitationByToken } from "../services/invitations";

const courseId = z.uuid();
const title = plainText(COURSE_TITLE_MAX_LENGTH, "Title").min(1, { error: "Enter a title." });
const description = plainText(DESCRIPTION_MAX_LENGTH, "Description");
const slug = z
  .string()
  .trim()
  .toLowerCase()
  .max(COURSE_SLUG_MAX_LENGTH, { error: `The address can be at most ${COURSE_SLUG_MAX_LENGTH} characters.` })
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: "Use lowercase letters, digits and single dashes." });
const courseInput = z.strictObject({ courseId });
/** An address as the sign-up form takes it (User.email is citext: case does not matter). */
const email = z.email({ error: "Enter a valid e-mail address." }).max(254);
/** As typed or pasted: letters, digits, spaces and dashes (normalized by the service). */
const inviteCode = z
  .string()
  .trim()
  .max(32)
  .regex(/^[A-Za-z0-9 -]*$/, { error: "An invite code has only letters, digits and dashes." });
const page = z
  .strictObject({
    cursor: z.uuid().optional(),
    limit: z.number().int().min(1).max(100).default(24),
  })
  .default({ limit: 24 });

export const courseRouter = createTRPCRouter({
  list: publicProcedure.input(page).query(({ ctx, input }) => listCourses(ctx.db, input)),

  /** A course with its live and upcoming sessions (public). */
  byId: publicProcedure.input(z.strictObject({ courseId })).query(({ ctx, input }) => getCourse(ctx, input.courseId)),

  /** The course page (public): the course, its instructor, sessions, and where the viewer stands. */
  bySlug: publicProcedure
    .input(z.strictObject({ slug }))
    .query(({ ctx, input }) => coursePage(ctx, ctx.user, input.slug)),

  /** Enroll: an OPEN course always, an INVITE course with its current code, a CLOSED one never. */
  enroll: authedProcedure
    .input(courseInput.extend({ inviteCode: inviteCode.optional() }))
    .mutation(({ ctx, input }) => enroll(ctx, ctx.user, input.courseId, input.inviteCode)),

  /** Leave the course; taken out of its live rooms at once. */
  unenroll: authedProcedure.input(courseInput).mutation(({ ctx, input }) => unenroll(ctx, ctx.user, input.courseId)),

  /** The course's instructor or an admin: who is enrolled and who is invited. */
  roster: instructorProcedure.input(courseInput).query(({ ctx, input }) => roster(ctx, ctx.user, input.courseId)),

  setPolicy: instructorProcedure
    .input(courseInput.extend({ policy: z.enum(ENROLLMENT_POLICIES) }))
    .mutation(({ ctx, input }) => setPolicy(ctx, ctx.user, input.courseId, input.policy)),

  /** `enabled`: a new invite code (the old one stops working); otherwise no code works. */
  setInviteCode: instructorProcedure
    .input(courseInput.extend({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setInviteCode(ctx, ctx.user, input.courseId, input.enabled)),

  /** Enrolls existing accounts, invites unknown addresses (pending until they sign in). */
  addStudents: instructorProcedure
    .input(
      courseInput.extend({
        emails: z
          .array(email)
          .min(1, { error: "Enter at least one e-mail address." })
          .max(ADD_STUDENTS_MAX, { error: `Add at most ${ADD_STUDENTS_MAX} people at a time.` }),
      }),
    )
    .mutation(({ ctx, input }) => addStudents(ctx, ctx.user, input.courseId, input.emails)),

  removeStudent: instructorProcedure
    .input(courseInput.extend({ userId: z.uuid() }))
    .mutation(({ ctx, input }) => removeStudent(ctx, ctx.user, input.courseId, input.userId)),

  cancelInvitation: instructorProcedure
    .input(courseInput.extend({ email }))
    .mutation(({ ctx, input }) => cancelInvitation(ctx, ctx.user, input.courseId, input.email)),

  /** A mailed invitation's page: the course and the address it was sent to. */
  invitation: publicProcedure
    .input(z.strictObject({ token: linkToken }))
    .query(({ ctx, input }) => invitationByToken(ctx, input.token)),

  /** The invited address's account takes its place (the link proves the address). */
  acceptInvitation: authedProcedure
    .input(z.strictObject({ token: linkToken }))
    .mutation(({ ctx, input }) => acceptInvitation(ctx, ctx.user, input.token)),

  /** Courses the caller manages: an instructor's own, all of them for an admin. */
  mine: instructorProcedure.input(page).query(({ ctx, input }) => listManagedCourses(ctx, ctx.user, input)),

  create: instructorProcedure
    .input(z.strictObject({ title, description: description.default(""), slug: slug.optional() }))
    .mutation(({ ctx, input }) => createCourse(ctx, ctx.user, input)),

  /** The course's instructor or an admin. */
  update: instructorProcedure
    .input(z.strictObject({ courseId, title: title.optional(), description: description.optional() }))
    .mutation(({ ctx, input }) => updateCourse(ctx, ctx.user, input)),
});
