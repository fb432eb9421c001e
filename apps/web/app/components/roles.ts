import type { Role } from "@livehall/api";

/** How a role is named on every page. */
export const ROLE_LABEL: Record<Role, string> = { STUDENT: "Student", INSTRUCTOR: "Instructor", ADMIN: "Admin" };

/** The role in a sentence: "You are signed in as Ada, an instructor." */
export const ROLE_IN_SENTENCE: Record<Role, string> = {
  STUDENT: "a student",
  INSTRUCTOR: "an instructor",
  ADMIN: "an admin",
};

export const ROLES = (Object.keys(ROLE_LABEL) as Role[]).map((value) => ({ value, label: ROLE_LABEL[value] }));
