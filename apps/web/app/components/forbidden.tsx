import { isRouteErrorResponse, useRouteError } from "@remix-run/react";
import type { Role } from "@livehall/api";
import type { ReactNode } from "react";
import { useRootData } from "../root";
import { Backdrop } from "./backdrop";
import { CompassIcon, LockIcon } from "./icons";
import { ROLE_IN_SENTENCE } from "./roles";
import { Alert, ButtonLink, Card } from "./ui";

/** What the teach and admin loaders throw (with status 403 or 404) for their error boundaries. */
export interface AreaErrorData {
  area: "teach" | "admin";
  kind: "forbidden" | "not-found";
  message?: string;
}

/** Where a lost visitor of each area goes back to. */
const AREA_TEXT = {
  teach: { home: "/teach", homeLabel: "Back to Teach" },
  admin: { home: "/admin", homeLabel: "Back to Admin" },
} as const;

function Panel({
  code,
  icon,
  title,
  children,
  actions,
}: {
  code: string;
  icon: ReactNode;
  title: string;
  children: ReactNode;
  actions: ReactNode;
}) {
  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="flex min-h-[60vh] items-center justify-center px-4 py-16">
        <Card className="w-full max-w-lg p-8 text-center sm:p-10">
          <div className="mx-auto flex size-14 items-center justify-center rounded-2xl bg-gradient-to-br from-brand-50 to-accent-50 text-brand-700 ring-1 ring-brand-100">
            {icon}
          </div>
          <p className="mt-5 text-sm font-semibold tracking-wide text-brand-700 uppercase">{code}</p>
          <h1 className="mx-auto mt-2 w-fit text-gradient-brand pb-1 text-3xl font-bold tracking-tight">{title}</h1>
          <div className="mt-3 text-base text-slate-600">{children}</div>
          <div className="mt-8 flex flex-col justify-center gap-3 sm:flex-row">{actions}</div>
        </Card>
      </div>
    </div>
  );
}

/** What the 403 page says to each role, and the way forward from there. */
function forbiddenText(area: AreaErrorData["area"], role: Role | null) {
  if (area === "admin") {
    return {
      title: "This page is for admins",
      body: "Managing accounts and the maintenance jobs is for Livehall's admins.",
      action: role === "INSTRUCTOR" ? { to: "/teach", label: "Back to your courses" } : null,
    };
  }
  if (role === "INSTRUCTOR") {
    return {
      title: "This belongs to another instructor",
      body: "Only the course's own instructor and admins can manage its courses and sessions.",
      action: { to: "/teach", label: "Back to your courses" },
    };
  }
  return {
    title: "Teaching tools are for instructors",
    body: "Instructors create courses, schedule live classes and run them. Ask to teach, and an admin will look at your request.",
    action: role === "STUDENT" ? { to: "/account/teach", label: "Ask to teach on Livehall" } : null,
  };
}

/** The friendly 403 page: what is true for the visitor's role, who they are signed in as, and a way forward. */
export function Forbidden({ area }: { area: AreaErrorData["area"] }) {
  const user = useRootData()?.user ?? null;
  const text = forbiddenText(area, user?.role ?? null);
  return (
    <Panel
      code="403 · No access"
      icon={<LockIcon className="size-7" />}
      title={text.title}
      actions={
        <>
          {text.action ? (
            <ButtonLink to={text.action.to} variant="primary">
              {text.action.label}
            </ButtonLink>
          ) : null}
          <ButtonLink to="/sessions" variant={text.action ? "secondary" : "primary"}>
            Back to live sessions
          </ButtonLink>
        </>
      }
    >
      <p>{text.body}</p>
      {user ? (
        <p className="mt-3 text-sm">
          You are signed in as <span className="font-semibold text-slate-900">{user.name}</span>,{" "}
          {ROLE_IN_SENTENCE[user.role]}.
        </p>
      ) : null}
    </Panel>
  );
}

function isAreaError(data: unknown): data is AreaErrorData {
  return typeof data === "object" && data !== null && "kind" in data && "area" in data;
}

/**
 * The error boundary of the teach and admin routes: the 403 page, a 404 that leads back into the
 * area, or — for anything unexpected — an error the user can recover from by reloading.
 */
export function AreaErrorBoundary({ area }: { area: AreaErrorData["area"] }) {
  const error = useRouteError();
  const text = AREA_TEXT[area];
  if (isRouteErrorResponse(error) && error.status === 403)
    return <Forbidden area={isAreaError(error.data) ? error.data.area : area} />;
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Panel
        code="404 · Not found"
        icon={<CompassIcon className="size-7" />}
        title="Nothing here"
        actions={
          <ButtonLink to={text.home} variant="primary">
            {text.homeLabel}
          </ButtonLink>
        }
      >
        <p>
          {isAreaError(error.data) && error.data.message
            ? error.data.message
            : "The page you asked for does not exist."}
        </p>
      </Panel>
    );
  }
  return (
    <div className="mx-auto max-w-3xl px-4 py-16 sm:px-6">
      <h1 className="w-fit text-gradient-brand pb-1 text-3xl font-bold tracking-tight">
        {area === "teach" ? "Teach" : "Maintenance"}
      </h1>
      <Alert tone="error" className="mt-6" title="This page could not be loaded">
        Something went wrong on our side. Reload the page to try again in a moment.
      </Alert>
      <ButtonLink to={text.home} reloadDocument className="mt-6">
        Reload
      </ButtonLink>
    </div>
  );
}
