import { isRouteErrorResponse, useRouteError } from "@remix-run/react";
import { Alert, ButtonLink } from "./ui";

/**
 * A detail page's error boundary: "<Thing> not found" for a 404 (a wrong or stale link), otherwise
 * the page could not be loaded; both lead back to the live sessions.
 */
export function DetailPageError({ thing }: { thing: "Course" | "Session" }) {
  const error = useRouteError();
  const missing = isRouteErrorResponse(error) && error.status === 404;
  const lower = thing.toLowerCase();
  return (
    <div className="mx-auto max-w-3xl px-4 py-16 sm:px-6">
      <h1 className="w-fit text-gradient-brand text-3xl font-bold tracking-tight">
        {missing ? `${thing} not found` : `This ${lower} could not be loaded`}
      </h1>
      <Alert tone={missing ? "info" : "error"} className="mt-6">
        {missing
          ? `The link may be wrong, or the ${lower} was removed.`
          : "Something went wrong on our side. Reload the page to try again in a moment."}
      </Alert>
      <ButtonLink to="/sessions" className="mt-6">
        Back to live sessions
      </ButtonLink>
    </div>
  );
}
