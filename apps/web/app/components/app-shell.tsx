import type { Role } from "@livehall/api";
import { Form, Link, NavLink, useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { withRedirectTo } from "../lib/redirect";
import { MenuIcon, XIcon } from "./icons";
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
  /** Null until the address is confirmed through the mailed link (a notice says so). */
  emailVerifiedAt?: Date | string | null;
}

/**
 * Pages where the "confirm your address" notice would be in the way: the account page says it
 * itself, the confirmation page is the way to do it, and a class room needs all its space.
 */
const NO_CONFIRM_NOTICE = /^\/(account|verify-email|invitation)(\/|$)|^\/sessions\/[^/]+$/;

function ConfirmAddressNotice({ email }: { email: string }) {
  return (
    <div className="border-b border-warning-200 bg-warning-50" data-testid="confirm-address-notice">
      <p className="mx-auto max-w-7xl px-4 py-2.5 text-sm text-warning-800 sm:px-6 lg:px-8">
        <strong className="font-semibold">Confirm your e-mail address:</strong> open the link we sent to{" "}
        <span className="break-all">{email}</span> to get class reminders.{" "}
        <Link to="/account" className="font-semibold underline underline-offset-4">
          Didn&apos;t get it?
        </Link>
      </p>
    </div>
  );
}

interface NavItem {
  to: string;
  label: string;
  roles?: Role[];
}

// Each link shows only to the roles it is for (My schedule: anyone signed in); students see how to become
// an instructor instead of Teach.
const NAV: NavItem[] = [
  { to: "/sessions", label: "Sessions" },
  { to: "/schedule", label: "My schedule", roles: ["STUDENT", "INSTRUCTOR", "ADMIN"] },
  { to: "/teach", label: "Teach", roles: ["INSTRUCTOR", "ADMIN"] },
  { to: "/account/teach", label: "Teach on Livehall", roles: ["STUDENT"] },
  { to: "/admin", label: "Admin", roles: ["ADMIN"] },
];

function MainNav({
  user,
  className,
  stacked = false,
}: {
  user: ShellUser | null;
  className?: string;
  stacked?: boolean;
}) {
  const items = NAV.filter((item) => !item.roles || (user && item.roles.includes(user.role)));
  return (
    <nav aria-label="Main" className={className}>
      <ul className={cn("flex gap-1", stacked ? "flex-col" : "items-center")}>
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

function SignOutForm({ className }: { className?: string }) {
  const location = useLocation();
  const navigation = useNavigation();
  const signingOut = navigation.state !== "idle" && navigation.formAction === "/logout";
  return (
    <Form method="post" action="/logout" className={className}>
      {/* Signing in again brings the user back here. */}
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      <Button type="submit" variant="secondary" size="sm" pending={signingOut} className="w-full sm:w-auto">
        Sign out
      </Button>
    </Form>
  );
}

function UserMenu({ user }: { user: ShellUser }) {
  return (
    <div className="flex items-center gap-2 sm:gap-3">
      <Link
        to="/account"
        className="flex min-h-11 items-center gap-2.5 rounded-control px-1 hover:bg-slate-900/5"
        data-testid="signed-in-user"
      >
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
        <span className="sr-only">, your account</span>
      </Link>
      {/* On phones Sign out is in the menu. */}
      <SignOutForm className="hidden sm:block" />
    </div>
  );
}

/**
 * Phones (< 640 px): the navigation and Sign out behind one "Menu" button, so the header stays one
 * row. Escape, a click outside and following a link close it; focus moves into it and back.
 */
function MobileMenu({ user }: { user: ShellUser }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const container = useRef<HTMLDivElement>(null);
  const location = useLocation();

  useEffect(() => setOpen(false), [location.pathname, location.search]);
  useEffect(() => {
    if (open) panel.current?.querySelector<HTMLElement>("a[href], button")?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!container.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    return () => document.removeEventListener("pointerdown", onPointer);
  }, [open]);

  return (
    <div
      ref={container}
      className="sm:hidden"
      onKeyDown={(event) => {
        if (event.key === "Escape" && open) {
          setOpen(false);
          button.current?.focus();
        }
      }}
      onBlur={(event) => {
        // Tabbing past the last item leaves the menu: close it behind the user.
        if (open && !container.current?.contains(event.relatedTarget as Node | null)) setOpen(false);
      }}
    >
      <Button
        ref={button}
        type="button"
        variant="secondary"
        size="sm"
        aria-expanded={open}
        aria-controls="mobile-menu"
        onClick={() => setOpen((value) => !value)}
      >
        {open ? <XIcon className="size-5" /> : <MenuIcon className="size-5" />}
        Menu
      </Button>
      <div
        ref={panel}
        id="mobile-menu"
        hidden={!open}
        data-testid="mobile-menu"
        className="absolute inset-x-0 top-full border-b border-slate-200/70 bg-white px-4 pt-3 pb-4 shadow-card-hover"
      >
        <p className="px-3.5 pb-2 text-sm leading-tight">
          <span className="block font-semibold text-slate-900">{user.name}</span>
          <span className="text-xs text-slate-600">{ROLE_LABEL[user.role]}</span>
        </p>
        <MainNav user={user} stacked />
        <SignOutForm className="mt-3 border-t border-slate-200/70 pt-3" />
      </div>
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
              <>
                <UserMenu user={user} />
                <MobileMenu user={user} />
              </>
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
      </header>
      <main id="main" tabIndex={-1} className="flex-1 focus:outline-none">
        {user && user.emailVerifiedAt === null && !NO_CONFIRM_NOTICE.test(location.pathname) ? (
          <ConfirmAddressNotice email={user.email} />
        ) : null}
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
