import type { Role } from "@livehall/api";
import { Form, Link, NavLink, useLocation, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import { withRedirectTo } from "../lib/redirect";
import { initials } from "./initials";
import { LogoMark } from "./logo";
import { ROLE_LABEL } from "./roles";
import { Button, ButtonLink, cn } from "./ui";

export interface ShellUser {
  name: string;
  email: string;
  role: Role;
  /** Admins: requests to teach waiting for an answer (a badge on Admin). */
  pendingRoleRequests?: number;
}

interface NavItem {
  to: string;
  label: string;
  roles?: Role[];
}

// Each link shows only to the roles it is for; students see how to become an instructor instead of Teach.
const NAV: NavItem[] = [
  { to: "/sessions", label: "Sessions" },
  { to: "/teach", label: "Teach", roles: ["INSTRUCTOR", "ADMIN"] },
  { to: "/account/teach", label: "Teach on Livehall", roles: ["STUDENT"] },
  { to: "/admin", label: "Admin", roles: ["ADMIN"] },
];

function MainNav({ user, className }: { user: ShellUser | null; className?: string }) {
  const items = NAV.filter((item) => !item.roles || (user && item.roles.includes(user.role)));
  return (
    <nav aria-label="Main" className={className}>
      <ul className="flex items-center gap-1">
        {items.map((item) => (
          <li key={item.to}>
            <NavLink
              to={item.to}
              className={({ isActive }) =>
                cn(
                  "flex min-h-11 items-center rounded-control px-3.5 text-sm font-semibold transition",
                  isActive ? "bg-brand-50 text-brand-700" : "text-slate-700 hover:bg-slate-900/5 hover:text-slate-900",
                )
              }
            >
              {item.label}
              {item.to === "/admin" && user?.pendingRoleRequests ? (
                <span className="ml-1.5 rounded-full bg-live-600 px-1.5 py-0.5 text-xs font-bold text-white">
                  {user.pendingRoleRequests}
                  <span className="sr-only"> requests to teach waiting</span>
                </span>
              ) : null}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function UserMenu({ user }: { user: ShellUser }) {
  const location = useLocation();
  const navigation = useNavigation();
  const signingOut = navigation.state !== "idle" && navigation.formAction === "/logout";
  return (
    <div className="flex items-center gap-2 sm:gap-3">
      <div className="flex items-center gap-2.5" data-testid="signed-in-user">
        <span
          className="flex size-9 items-center justify-center rounded-full bg-gradient-to-br from-brand-100 to-accent-100 text-xs font-bold text-brand-800 ring-1 ring-brand-200"
          aria-hidden="true"
        >
          {initials(user.name)}
        </span>
        <span className="hidden min-w-0 flex-col leading-tight md:flex">
          <span className="sr-only">Signed in as </span>
          <span className="max-w-40 truncate text-sm font-semibold text-slate-900">{user.name}</span>
          <span className="text-xs text-slate-600">{ROLE_LABEL[user.role]}</span>
        </span>
        <span className="sr-only md:hidden">Signed in as {user.name}</span>
      </div>
      <Form method="post" action="/logout">
        {/* Signing in again brings the user back here. */}
        <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
        <Button type="submit" variant="secondary" size="sm" pending={signingOut}>
          Sign out
        </Button>
      </Form>
    </div>
  );
}

export function AppShell({ user, children }: { user: ShellUser | null; children: ReactNode }) {
  const location = useLocation();
  const here = `${location.pathname}${location.search}`;
  const onAuthPage = location.pathname === "/login" || location.pathname === "/signup";
  return (
    <div className="flex min-h-screen flex-col bg-gradient-to-br from-slate-50 to-slate-100">
      <a
        href="#main"
        className="sr-only z-50 rounded-control bg-white px-4 py-3 text-sm font-semibold text-brand-700 shadow-lg focus:not-sr-only focus:fixed focus:top-3 focus:left-3"
      >
        Skip to main content
      </a>
      <header className="sticky top-0 z-40 border-b border-slate-200/70 bg-white/70 backdrop-blur-md">
        <div className="mx-auto flex h-16 max-w-7xl items-center gap-4 px-4 sm:px-6 lg:px-8">
          <Link
            to="/sessions"
            className="flex min-h-11 items-center gap-2.5 rounded-control pr-2"
            aria-label="Livehall home"
          >
            <LogoMark />
            <span className="text-lg font-bold tracking-tight text-slate-900 max-[359px]:sr-only">Livehall</span>
          </Link>
          <MainNav user={user} className="hidden sm:block" />
          <div className="ml-auto flex items-center gap-2">
            {user ? (
              <UserMenu user={user} />
            ) : onAuthPage ? null : (
              <>
                <ButtonLink to={withRedirectTo("/login", here)} variant="ghost" size="sm">
                  Sign in
                </ButtonLink>
                <ButtonLink to={withRedirectTo("/signup", here)} variant="primary" size="sm">
                  Sign up
                </ButtonLink>
              </>
            )}
          </div>
        </div>
        {/* On small screens the navigation gets its own row. */}
        <MainNav user={user} className="border-t border-slate-200/70 px-2 py-1 sm:hidden" />
      </header>
      <main id="main" tabIndex={-1} className="flex-1 focus:outline-none">
        {children}
      </main>
      <footer className="border-t border-slate-200/70">
        <div className="mx-auto flex max-w-7xl flex-col gap-1 px-4 py-6 text-sm text-slate-600 sm:flex-row sm:justify-between sm:px-6 lg:px-8">
          <p>© Livehall — live classes for online courses.</p>
          <p>Times are shown in your time zone.</p>
        </div>
      </footer>
    </div>
  );
}
