import type { ShouldRevalidateFunctionArgs } from "@remix-run/react";
import { useLocation, useNavigate } from "@remix-run/react";
import { useEffect, useRef } from "react";

/** The query parameter a redirect uses to say what just happened ("course-created"), shown as a toast. */
export const NOTICE_PARAM = "notice";

export function withNotice(path: string, notice: string): string {
  const url = new URL(path, "http://livehall.invalid");
  url.searchParams.set(NOTICE_PARAM, notice);
  return `${url.pathname}${url.search}`;
}

/**
 * Shows the notice of the URL once (as a toast), then takes it out of the URL so a reload or a shared
 * link does not show it again. Removing it does not reload the page's data (see skipNoticeRevalidation).
 */
export function useNotice(show: (notice: string) => void) {
  const location = useLocation();
  const navigate = useNavigate();
  const shown = useRef<string | null>(null);
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    const notice = params.get(NOTICE_PARAM);
    if (!notice || shown.current === location.key) return;
    shown.current = location.key;
    show(notice);
    params.delete(NOTICE_PARAM);
    const search = params.toString();
    navigate(
      { pathname: location.pathname, search: search ? `?${search}` : "", hash: location.hash },
      { replace: true, preventScrollReset: true },
    );
  }, [location, navigate, show]);
}

/** For a route's shouldRevalidate: dropping the notice from the URL is not a reason to load again. */
export function skipNoticeRevalidation({
  currentUrl,
  nextUrl,
  formMethod,
  defaultShouldRevalidate,
}: ShouldRevalidateFunctionArgs): boolean {
  if (
    !formMethod &&
    currentUrl.pathname === nextUrl.pathname &&
    currentUrl.searchParams.has(NOTICE_PARAM) &&
    !nextUrl.searchParams.has(NOTICE_PARAM)
  ) {
    const current = new URLSearchParams(currentUrl.search);
    current.delete(NOTICE_PARAM);
    if (current.toString() === nextUrl.searchParams.toString()) return false;
  }
  return defaultShouldRevalidate;
}
