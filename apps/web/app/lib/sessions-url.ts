import { SEARCH_MAX_LENGTH } from "@livehall/api/limits";
import type { SessionTab } from "../components/sessions/types";

export const SESSION_TABS: { value: SessionTab; label: string }[] = [
  { value: "all", label: "All" },
  { value: "live", label: "Live" },
  { value: "upcoming", label: "Upcoming" },
  { value: "ended", label: "Ended" },
];

export function parseTab(value: string | null): SessionTab {
  return SESSION_TABS.some((tab) => tab.value === value) ? (value as SessionTab) : "all";
}

/** The search as the API takes it: trimmed, no control characters, at most SEARCH_MAX_LENGTH characters. */
export function parseSearch(value: string | null): string {
  return (
    (value ?? "")
      // eslint-disable-next-line no-control-regex -- stripping control characters is the point.
      .replace(/[\u0000-\u001f\u007f]/g, " ")
      .trim()
      .slice(0, SEARCH_MAX_LENGTH)
      .trim()
  );
}

/** `/sessions` with the search, tab and course filter that are set (defaults left out, so URLs stay short). */
export function sessionsHref({
  tab,
  q,
  mine = false,
  cursor,
  index = false,
}: {
  tab: SessionTab;
  q: string;
  /** Only the viewer's own courses ("My courses"). */
  mine?: boolean;
  cursor?: string;
  index?: boolean;
}): string {
  const params = new URLSearchParams();
  // `index` targets the index route's loader explicitly (fetcher.load).
  if (index) params.set("index", "");
  if (q) params.set("q", q);
  if (tab !== "all") params.set("tab", tab);
  if (mine) params.set("mine", "1");
  if (cursor) params.set("cursor", cursor);
  const query = params.toString();
  return query ? `/sessions?${query}` : "/sessions";
}
