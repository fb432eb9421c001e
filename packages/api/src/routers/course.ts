import { z } from "zod";
import { COURSE_SLUG_MAX_LENGTH, COURSE_TITLE_MAX_LENGTH, DESCRIPTION_MAX_LENGTH } from "../limits";
import { createCourse, getCourse, listCourses, listManagedCourses, updateCourse } from "../services/course";
import { createTRPCRouter, instructorProcedure, publicProcedure } from "../trpc";
import { plainText } from "./inputs";

const courseId = z.uuid();
const title = plainText(COURSE_TITLE_MAX_LENGTH, "Title").min(1, { error: "Enter a title." });
const description = plainText(DESCRIPTION_MAX_LENGTH, "Description");
const slug = z
  .string()
  .trim()
  .toLowerCase()
  .max(COURSE_SLUG_MAX_LENGTH, { error: `The address can be at most ${COURSE_SLUG_MAX_LENGTH} characters.` })
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: "Use lowercase letters, digits and single dashes." });
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
