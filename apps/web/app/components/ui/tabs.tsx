import { Link } from "@remix-run/react";
import { useRef, type KeyboardEvent, type ReactNode } from "react";
import { useHydrated } from "../../lib/use-hydrated";
import { cn } from "./cn";

export interface LinkTab {
  value: string;
  label: ReactNode;
  /** Where this tab's content lives: tabs are links, so they work without JavaScript and keep the URL. */
  to: string;
}

/** The tab list's frame (both kinds of tabs). */
export const TAB_LIST_CLASS = "flex rounded-control bg-slate-900/5 p-1 ring-1 ring-slate-900/5 ring-inset";

/** One tab, selected or not (both kinds of tabs). */
export function tabClass(selected: boolean): string {
  return cn(
    "flex min-h-11 items-center gap-1.5 rounded-[0.6rem] px-3 text-sm font-semibold transition",
    selected
      ? "bg-white text-slate-900 shadow-sm ring-1 ring-slate-900/5"
      : "text-slate-600 hover:bg-white/60 hover:text-slate-900",
  );
}

/** The WAI-ARIA tabs keys: the tab that arrow keys, Home or End move to from `current` (null: not a tab key). */
export function nextTabIndex(key: string, current: number, count: number): number | null {
  const last = count - 1;
  if (key === "ArrowRight") return current === last ? 0 : current + 1;
  if (key === "ArrowLeft") return current === 0 ? last : current - 1;
  if (key === "Home") return 0;
  if (key === "End") return last;
  return null;
}

/**
 * ARIA tabs whose tabs are links (the WAI-ARIA tabs pattern with manual activation): the selected
 * tab is the one tab stop, arrow keys / Home / End move between tabs, Enter follows the link. Before
 * hydration every tab is a plain focusable link, so the page works without JavaScript too.
 */
export function LinkTabs({
  label,
  tabs,
  value,
  idBase,
  className,
}: {
  /** The accessible name of the tab list. */
  label: string;
  tabs: LinkTab[];
  value: string;
  /** Prefix of the tab ids and the id of the panel (see TabPanel). */
  idBase: string;
  className?: string;
}) {
  const hydrated = useHydrated();
  const refs = useRef<(HTMLAnchorElement | null)[]>([]);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const current = refs.current.findIndex((element) => element === document.activeElement);
    if (current === -1) return;
    const next = nextTabIndex(event.key, current, tabs.length);
    if (next === null) return;
    event.preventDefault();
    refs.current[next]?.focus();
  }

  return (
    <div role="tablist" aria-label={label} onKeyDown={onKeyDown} className={cn(TAB_LIST_CLASS, className)}>
      {tabs.map((tab, index) => {
        const selected = tab.value === value;
        return (
          <Link
            key={tab.value}
            ref={(element) => {
              refs.current[index] = element;
            }}
            to={tab.to}
            role="tab"
            id={`${idBase}-tab-${tab.value}`}
            aria-selected={selected}
            aria-controls={`${idBase}-panel`}
            tabIndex={hydrated && !selected ? -1 : 0}
            preventScrollReset
            className={cn(tabClass(selected), "flex-1 justify-center px-2.5 min-[400px]:px-4 sm:flex-none")}
          >
            {tab.label}
          </Link>
        );
      })}
    </div>
  );
}

export function TabPanel({
  idBase,
  value,
  className,
  children,
}: {
  idBase: string;
  value: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div role="tabpanel" id={`${idBase}-panel`} aria-labelledby={`${idBase}-tab-${value}`} className={className}>
      {children}
    </div>
  );
}
