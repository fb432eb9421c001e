import { Link } from "@remix-run/react";
import { cn } from "../ui";

const PAGES = [
  { id: "overview", to: "/admin", label: "Overview" },
  { id: "users", to: "/admin/users", label: "Users" },
] as const;

/** The admin area's pages; the overview carries the number of requests to teach waiting for an answer. */
export function AdminTabs({
  current,
  pendingRequests,
  className,
}: {
  current: (typeof PAGES)[number]["id"];
  pendingRequests: number;
  className?: string;
}) {
  return (
    <nav aria-label="Admin pages" className={className}>
      <ul className="flex gap-1 border-b border-slate-200">
        {PAGES.map((page) => (
          <li key={page.id}>
            <Link
              to={page.to}
              aria-current={page.id === current ? "page" : undefined}
              className={cn(
                "-mb-px flex min-h-11 items-center gap-2 border-b-2 px-4 text-sm font-semibold transition",
                page.id === current
                  ? "border-brand-600 text-brand-700"
                  : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900",
              )}
            >
              {page.label}
              {page.id === "overview" && pendingRequests > 0 ? (
                <span className="rounded-full bg-live-600 px-2 py-0.5 text-xs font-bold text-white">
                  {pendingRequests}
                  <span className="sr-only"> {pendingRequests === 1 ? "request" : "requests"} to teach waiting</span>
                </span>
              ) : null}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
