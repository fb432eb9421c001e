import type { LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { useEffect, type ReactNode } from "react";
import { AppShell } from "./components/app-shell";
import { useSignOutSync } from "./lib/use-sign-out-sync";
import { ButtonLink } from "./components/ui";
import { useNonce } from "./lib/nonce";
import { TIME_ZONE_HINT_SCRIPT } from "./lib/time-zone";
import { timeZoneHint } from "./lib/time-zone.server";
import stylesheet from "./tailwind.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

/** The signed-in user (if any), when their access token expires, and the viewer's time zone, for every page. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const me = context.auth.user ? await context.caller.auth.me() : null;
  const pendingRoleRequests =
    context.auth.user?.role === "ADMIN" ? (await context.caller.admin.roleRequests({ limit: 1 })).count : undefined;
  return {
    user: me ? { ...me.user, pendingRoleRequests } : null,
    accessTokenExpiresAt: context.auth.accessTokenExpiresAt?.toISOString() ?? null,
    /** From the time-zone hint cookie: times render in it on the server (null: UTC until hydrated). */
    timeZone: timeZoneHint(request),
  };
}

export function useRootData() {
  return useRouteLoaderData<typeof loader>("root");
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="theme-color" content="#f8fafc" />
        {/* First, before anything is painted: see lib/time-zone.ts. */}
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: TIME_ZONE_HINT_SCRIPT }} />
        <Meta />
        <Links />
      </head>
      <body className="min-h-full bg-slate-50 font-sans text-slate-900 antialiased">
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

/** Marks the document once React has hydrated (end-to-end tests wait for it before using JS features). */
function useHydrationMarker() {
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
}

export default function App() {
  useHydrationMarker();
  const data = useRootData();
  useSignOutSync(Boolean(data?.user), data?.accessTokenExpiresAt ?? null);
  return (
    <AppShell user={data?.user ?? null}>
      <Outlet />
    </AppShell>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRootData();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <AppShell user={data?.user ?? null}>
      <div className="flex min-h-[60vh] items-center justify-center px-4 py-16">
        <div className="max-w-md text-center">
          <p className="text-sm font-semibold text-brand-700">{notFound ? "404" : "Error"}</p>
          <h1 className="mt-2 text-gradient-brand text-3xl font-bold tracking-tight">
            {notFound ? "Page not found" : "Something went wrong"}
          </h1>
          <p className="mt-3 text-slate-600">
            {notFound ? "The page you asked for does not exist." : "Please try again in a moment."}
          </p>
          <ButtonLink to="/sessions" className="mt-6">
            Back to live sessions
          </ButtonLink>
        </div>
      </div>
    </AppShell>
  );
}
