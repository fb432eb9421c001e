import type { Role, SessionUser } from "@livehall/api";
import { data, redirect, type AppLoadContext } from "@remix-run/node";
import { TRPCError } from "@trpc/server";
import { withRedirectTo } from "../lib/redirect";
import type { AreaErrorData } from "./forbidden";

/** Which part of the app a guard protects, for the 403 page's wording. */
export type Area = "teach" | "admin";

export const AREA_ROLES: Record<Area, Role[]> = { teach: ["INSTRUCTOR", "ADMIN"], admin: ["ADMIN"] };

/** The page a request is for (an action's URL carries `?index` on index routes; that is not part of the page). */
function pageOf(request: Request): string {
  const url = new URL(request.url);
  url.searchParams.delete("index");
  url.searchParams.delete("_data");
  const search = url.searchParams.toString();
  return `${url.pathname}${search ? `?${search}` : ""}`;
}

/**
 * The signed-in user of a page of `area`: anonymous visitors are sent to sign in (and come back here),
 * users without the role get the 403 page (thrown as a 403 response for the route's ErrorBoundary).
 */
export function requireArea(request: Request, context: AppLoadContext, area: Area): SessionUser {
  const user = context.auth.user;
  if (!user) throw redirect(withRedirectTo("/login", pageOf(request)));
  if (!AREA_ROLES[area].includes(user.role)) throw forbidden(area);
  return user;
}

export function forbidden(area: Area) {
  return data<AreaErrorData>({ area, kind: "forbidden" }, { status: 403 });
}

export function notFound(area: Area, message: string) {
  return data<AreaErrorData>({ area, kind: "not-found", message }, { status: 404 });
}

/**
 * For loaders: a procedure's NOT_FOUND or FORBIDDEN becomes the 404 or 403 page of the area (an
 * unknown id in the URL, another instructor's course); anything else goes to the error boundary as is.
 */
export async function orPageError<T>(area: Area, call: Promise<T>, notFoundMessage: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") throw notFound(area, notFoundMessage);
    if (error instanceof TRPCError && error.code === "FORBIDDEN") throw forbidden(area);
    // A malformed id in the URL (not a UUID) is a page that does not exist either.
    if (error instanceof TRPCError && error.code === "BAD_REQUEST") throw notFound(area, notFoundMessage);
    throw error;
  }
}

/** True when `user` runs the course taught by `instructorId` (admins run every course). */
export function managesCourse(user: SessionUser, instructorId: string): boolean {
  return user.role === "ADMIN" || user.id === instructorId;
}
