import { Link } from "@remix-run/react";
import { useId, type ReactNode } from "react";
import { cn } from "./cn";

export interface Crumb {
  label: string;
  to?: string;
}

/** Where the page sits ("Teach › Course › Session"); the last crumb is the current page. */
export function Breadcrumbs({ items, className }: { items: Crumb[]; className?: string }) {
  return (
    <nav aria-label="Breadcrumb" className={className}>
      <ol className="flex flex-wrap items-center gap-1.5 text-sm text-slate-600">
        {items.map((item, index) => {
          const last = index === items.length - 1;
          return (
            <li key={`${item.label}-${index}`} className="flex min-w-0 items-center gap-1.5">
              {item.to && !last ? (
                <Link
                  to={item.to}
                  className="truncate rounded font-medium text-slate-600 underline-offset-4 hover:text-brand-700 hover:underline"
                >
                  {item.label}
                </Link>
              ) : (
                <span
                  aria-current={last ? "page" : undefined}
                  className={cn("truncate", last && "font-medium text-slate-900")}
                >
                  {item.label}
                </span>
              )}
              {last ? null : (
                <svg
                  viewBox="0 0 20 20"
                  className="size-4 shrink-0 text-slate-400"
                  fill="none"
                  stroke="currentColor"
                  strokeWidth={2}
                  strokeLinecap="round"
                  aria-hidden="true"
                >
                  <path d="m8 5 5 5-5 5" />
                </svg>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

/** The small label above a page title ("Admin", "Teach"). */
export function EyebrowPill({ children }: { children: ReactNode }) {
  return (
    <p className="inline-flex items-center rounded-full bg-white/70 px-3 py-1 text-xs font-semibold tracking-wide text-brand-700 uppercase ring-1 ring-brand-100">
      {children}
    </p>
  );
}

/** The top of a work page: breadcrumbs, a small label, the gradient title, a line of context and actions. */
export function PageHeader({
  crumbs,
  eyebrow,
  title,
  description,
  actions,
  className,
}: {
  crumbs?: Crumb[];
  eyebrow?: ReactNode;
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  className?: string;
}) {
  return (
    <header className={className}>
      {crumbs ? <Breadcrumbs items={crumbs} className="mb-5" /> : null}
      <div className="flex flex-col gap-5 lg:flex-row lg:items-end lg:justify-between">
        <div className="max-w-3xl min-w-0">
          {eyebrow ? <div className="mb-3">{eyebrow}</div> : null}
          <h1 className="w-fit max-w-full text-gradient-brand pb-1 text-3xl font-extrabold tracking-tight break-words sm:text-4xl">
            {title}
          </h1>
          {description ? <div className="mt-2 text-base text-slate-600">{description}</div> : null}
        </div>
        {actions ? <div className="flex shrink-0 flex-wrap items-center gap-2">{actions}</div> : null}
      </div>
    </header>
  );
}

/** A titled section of a page, its heading at level 2 with an optional count and actions. */
export function Section({
  title,
  count,
  description,
  actions,
  children,
  className,
  id,
}: {
  title: string;
  count?: number;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
}) {
  const generated = useId();
  const headingId = id ? `${id}-heading` : generated;
  return (
    <section aria-labelledby={headingId} id={id} className={className}>
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id={headingId} className="flex items-center gap-2 text-lg font-semibold tracking-tight text-slate-900">
            {title}
            {count !== undefined ? (
              <span className="rounded-full bg-slate-900/5 px-2 py-0.5 text-xs font-semibold text-slate-700 tabular-nums">
                {count}
              </span>
            ) : null}
          </h2>
          {description ? <p className="mt-0.5 text-sm text-slate-600">{description}</p> : null}
        </div>
        {actions}
      </div>
      {children}
    </section>
  );
}
