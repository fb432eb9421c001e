const DUMMY_ORIGIN = "http://livehall.invalid";

/**
 * Where to send the user after signing in: `to` only when it is a path on this site (no open
 * redirect to another origin via `//evil.example`, `/\evil.example`, `https:…` or control
 * characters); otherwise `fallback`.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/sessions"): string {
  if (typeof to !== "string" || to.length === 0 || to.length > 2_000) return fallback;
  if (!to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  // Browsers drop tabs and newlines inside URLs ("/\t/evil.example" is "//evil.example").
  // eslint-disable-next-line no-control-regex -- matching control characters is the point.
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback;
  let url: URL;
  try {
    url = new URL(to, DUMMY_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== DUMMY_ORIGIN) return fallback;
  // Sending a user back to the sign-in pages after signing in would be a loop.
  if (["/login", "/signup", "/logout"].includes(url.pathname)) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Where each role lands after signing in when the sign-in carries no target. */
export const HOME_BY_ROLE = { STUDENT: "/sessions", INSTRUCTOR: "/teach", ADMIN: "/admin" } as const;

/** `/login` (or another page) with `redirectTo` set, omitted when it is the default. */
export function withRedirectTo(pathname: string, redirectTo: string | null | undefined): string {
  const target = safeRedirect(redirectTo, "");
  if (!target || target === "/sessions") return pathname;
  return `${pathname}?${new URLSearchParams({ redirectTo: target })}`;
}

/**
 * The loader of the sign-in and sign-up pages: where to go afterwards, and straight there when the
 * visitor is already signed in.
 */
export function authPageTarget(
  request: Request,
  user: { role: keyof typeof HOME_BY_ROLE } | null,
): { redirectTo: string } {
  // Empty when the link named no target: the sign-in then lands where the user's role works.
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get("redirectTo"), "");
  if (user) throw new Response(null, { status: 302, headers: { Location: redirectTo || HOME_BY_ROLE[user.role] } });
  return { redirectTo };
}
