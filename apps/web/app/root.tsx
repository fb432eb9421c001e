import type { LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useRouteError } from "@remix-run/react";
import type { ReactNode } from "react";
import stylesheet from "./tailwind.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

/** The signed-in user (if any) and when their access token expires, for every page. */
export async function loader({ context }: LoaderFunctionArgs) {
  const me = context.auth.user ? await context.caller.auth.me() : null;
  return {
    user: me?.user ?? null,
    accessTokenExpiresAt: context.auth.accessTokenExpiresAt?.toISOString() ?? null,
  };
}

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-full bg-slate-50 text-slate-900 antialiased">
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <main className="flex min-h-screen items-center justify-center bg-gradient-to-br from-slate-50 to-slate-100 px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-brand-600">{notFound ? "404" : "Error"}</p>
        <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">
          {notFound ? "Page not found" : "Something went wrong"}
        </h1>
        <p className="mt-3 text-slate-600">
          {notFound ? "The page you asked for does not exist." : "Please try again in a moment."}
        </p>
        <a href="/" className="mt-6 inline-block rounded-lg bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
          Back to Livehall
        </a>
      </div>
    </main>
  );
}
