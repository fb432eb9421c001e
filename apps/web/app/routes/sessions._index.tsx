import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { SEARCH_MAX_LENGTH } from "@livehall/api/limits";
import { Form, Link, useFetcher, useLoaderData, useNavigation, useNavigate } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { SearchIcon, XIcon, CalendarIcon } from "../components/icons";
import { Backdrop } from "../components/backdrop";
import { SessionCard, SessionCardSkeleton } from "../components/sessions/session-card";
import { SessionStatsBar } from "../components/sessions/stats";
import type { SessionItem, SessionPage, SessionTab } from "../components/sessions/types";
import { useNow } from "../components/sessions/use-now";
import { Alert, Button, ButtonLink, EmptyState, Input, LinkTabs, LiveDot, TabPanel, cn } from "../components/ui";
import { SESSION_TABS, parseSearch, parseTab, sessionsHref } from "../lib/sessions-url";
import { useAutoRevalidate } from "../lib/use-auto-revalidate";

export const meta: MetaFunction = () => [
  { title: "Live sessions · Livehall" },
  {
    name: "description",
    content: "Join a live class in progress, see what is coming up, and rate the sessions you attended.",
  },
];

/** Three rows of the three-column grid. */
const PAGE_SIZE = 9;

/**
 * Search, tab and (for "Load more") cursor come from the URL, so the page renders on the server and
 * works without JavaScript. The same loader serves the next pages (useFetcher with `cursor`).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const q = parseSearch(url.searchParams.get("q"));
  const tab = parseTab(url.searchParams.get("tab"));
  const cursor = url.searchParams.get("cursor") || undefined;
  const signedIn = context.auth.user !== null;
  // "My courses": the signed-in viewer's own courses only (their courses come first anyway).
  const mine = signedIn && url.searchParams.get("mine") === "1";
  const list = (withCursor: string | undefined) =>
    context.caller.session.list({ tab, search: q || undefined, cursor: withCursor, limit: PAGE_SIZE, mine });

  const [page, stats] = await Promise.all([
    list(cursor).catch((error: unknown) => {
      // A cursor that is stale or not ours (hand-edited URL): start from the first page.
      if (cursor && error instanceof TRPCError && error.code === "BAD_REQUEST") return list(undefined);
      throw error;
    }),
    context.caller.session.stats(),
  ]);
  return {
    q,
    tab,
    mine,
    signedIn,
    page,
    stats,
    /** The server's clock, so relative times render identically on the server and while hydrating. */
    now: new Date().toISOString(),
    refreshMs: context.services.config.timings.sessionsRefreshMs,
  };
}

/** The search and tab a pending navigation to this page is going to (to show them at once). */
function usePendingQuery() {
  const navigation = useNavigation();
  if (navigation.state !== "loading" || navigation.location.pathname !== "/sessions") return null;
  const params = new URLSearchParams(navigation.location.search);
  return { q: parseSearch(params.get("q")), tab: parseTab(params.get("tab")), mine: params.get("mine") === "1" };
}

export default function SessionsPage() {
  const data = useLoaderData<typeof loader>();
  const pending = usePendingQuery();
  const tab = pending?.tab ?? data.tab;
  const mine = pending?.mine ?? data.mine;
  const now = useNow(data.now);
  useAutoRevalidate(data.refreshMs);

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14 lg:px-8">
        <header className="max-w-3xl">
          {data.stats.liveNow > 0 ? (
            <p className="inline-flex items-center gap-2 rounded-full bg-white/70 px-3 py-1 text-xs font-semibold tracking-wide text-live-700 uppercase ring-1 ring-live-100">
              <LiveDot tone="red" />
              {data.stats.liveNow === 1 ? "1 class live right now" : `${data.stats.liveNow} classes live right now`}
            </p>
          ) : (
            <p className="inline-flex items-center rounded-full bg-white/70 px-3 py-1 text-xs font-semibold tracking-wide text-brand-700 uppercase ring-1 ring-brand-100">
              Live classes
            </p>
          )}
          <h1 className="mt-4 w-fit text-gradient-brand pb-1 text-4xl font-extrabold tracking-tight sm:text-5xl">
            Live sessions
          </h1>
          <p className="mt-3 text-base text-slate-600 sm:text-lg">
            Join a class in progress, plan the week ahead, or rate a session you attended.
          </p>
        </header>

        <section aria-label="Session statistics" className="mt-8">
          <SessionStatsBar stats={data.stats} />
        </section>

        <div className="mt-10 flex flex-col gap-4 lg:flex-row lg:items-center lg:justify-between">
          <LinkTabs
            label="Filter sessions by status"
            idBase="sessions"
            value={tab}
            className="w-full lg:w-auto"
            tabs={SESSION_TABS.map((item) => ({
              value: item.value,
              to: sessionsHref({ tab: item.value, q: data.q, mine: data.mine }),
              label:
                item.value === "live" && data.stats.liveNow > 0 ? (
                  <>
                    <LiveDot tone="red" />
                    {item.label}
                  </>
                ) : (
                  item.label
                ),
            }))}
          />
          <SearchForm q={data.q} tab={data.tab} mine={data.mine} />
        </div>
        {data.signedIn ? <CourseFilter q={data.q} tab={data.tab} mine={mine} /> : null}

        <TabPanel idBase="sessions" value={tab} className="mt-6">
          <h2 className="sr-only">{`${SESSION_TABS.find((item) => item.value === tab)?.label ?? "All"} sessions`}</h2>
          {/* Keyed by the query: a new search or tab starts again from its first page. */}
          <SessionResults
            key={`${data.tab}\u0000${data.q}\u0000${data.mine}`}
            q={data.q}
            tab={data.tab}
            mine={data.mine}
            first={data.page}
            now={now}
            loading={pending !== null}
          />
        </TabPanel>
      </div>
    </div>
  );
}

/** "All courses" or "My courses" (the signed-in viewer's enrolled and taught courses), as two links. */
function CourseFilter({ q, tab, mine }: { q: string; tab: SessionTab; mine: boolean }) {
  const option = (value: boolean, label: string) => (
    <Link
      to={sessionsHref({ tab, q, mine: value })}
      preventScrollReset
      aria-current={mine === value ? "true" : undefined}
      className={cn(
        "flex min-h-11 items-center rounded-control px-3.5 text-sm font-semibold transition",
        mine === value ? "bg-brand-50 text-brand-700 ring-1 ring-brand-200" : "text-slate-700 hover:bg-slate-900/5",
      )}
    >
      {label}
    </Link>
  );
  return (
    <nav aria-label="Courses" className="mt-4 flex flex-wrap items-center gap-2" data-testid="course-filter">
      {option(false, "All courses")}
      {option(true, "My courses")}
    </nav>
  );
}

function SearchForm({ q, tab, mine }: { q: string; tab: SessionTab; mine: boolean }) {
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  // The field follows the URL (back/forward, the clear link) without losing focus while typing.
  useEffect(() => {
    if (input.current && input.current.value !== q) input.current.value = q;
  }, [q]);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    // With JavaScript, leave empty values out of the URL; without it the plain GET form works too.
    event.preventDefault();
    const value = parseSearch(new FormData(event.currentTarget).get("q") as string | null);
    navigate(sessionsHref({ tab, q: value, mine }), { preventScrollReset: true });
  }

  return (
    <Form method="get" action="/sessions" role="search" onSubmit={onSubmit} className="flex w-full gap-2 lg:max-w-md">
      {tab !== "all" ? <input type="hidden" name="tab" value={tab} /> : null}
      {mine ? <input type="hidden" name="mine" value="1" /> : null}
      <div className="relative flex-1">
        <label htmlFor="session-search" className="sr-only">
          Search sessions
        </label>
        <SearchIcon className="pointer-events-none absolute top-1/2 left-3.5 size-5 -translate-y-1/2 text-slate-500" />
        <Input
          ref={input}
          id="session-search"
          type="search"
          name="q"
          defaultValue={q}
          maxLength={SEARCH_MAX_LENGTH}
          placeholder="Search sessions"
          title="Search by session title, course or instructor"
          autoComplete="off"
          className="pr-11 pl-11 [&::-webkit-search-cancel-button]:hidden"
        />
        {q ? (
          <Link
            to={sessionsHref({ tab, q: "", mine })}
            preventScrollReset
            className="absolute top-1/2 right-0 flex size-11 -translate-y-1/2 items-center justify-center rounded-control text-slate-500 hover:text-slate-900"
          >
            <XIcon className="size-4" />
            <span className="sr-only">Clear search</span>
          </Link>
        ) : null}
      </div>
      <Button type="submit" variant="secondary">
        Search
      </Button>
    </Form>
  );
}

/** Loads one further page through the sessions loader; revalidations refresh it with the first page. */
function NextPageLoader({
  tab,
  q,
  mine,
  cursor,
  onPage,
}: {
  tab: SessionTab;
  q: string;
  mine: boolean;
  cursor: string;
  onPage: (cursor: string, page: SessionPage) => void;
}) {
  const fetcher = useFetcher<typeof loader>({ key: `sessions-page:${tab}:${q}:${mine}:${cursor}` });
  const href = sessionsHref({ tab, q, mine, cursor, index: true });
  const load = useRef(fetcher.load);
  load.current = fetcher.load;
  useEffect(() => {
    load.current(href);
  }, [href]);
  useEffect(() => {
    if (fetcher.data) onPage(cursor, fetcher.data.page);
  }, [fetcher.data, cursor, onPage]);
  return null;
}

function SessionResults({
  q,
  tab,
  mine,
  first,
  now,
  loading,
}: {
  q: string;
  tab: SessionTab;
  mine: boolean;
  first: SessionPage;
  now: Date;
  loading: boolean;
}) {
  // Cursors of the pages added with "Load more", in order, and what each one loaded.
  const [cursors, setCursors] = useState<string[]>([]);
  const [pages, setPages] = useState<Record<string, SessionPage>>({});
  const onPage = useMemo(
    () => (cursor: string, page: SessionPage) => setPages((previous) => ({ ...previous, [cursor]: page })),
    [],
  );

  const lastCursor = cursors.at(-1);
  const loadingMore = lastCursor !== undefined && pages[lastCursor] === undefined;
  const nextCursor = lastCursor === undefined ? first.nextCursor : (pages[lastCursor]?.nextCursor ?? null);

  // Pages can overlap after a refresh (a session changed tab between loads): each session once.
  const items = useMemo(() => {
    const seen = new Set<string>();
    const all: SessionItem[] = [];
    for (const item of [first.items, ...cursors.map((cursor) => pages[cursor]?.items ?? [])].flat()) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      all.push(item);
    }
    return all;
  }, [first, cursors, pages]);

  if (loading) {
    return (
      <div aria-busy="true">
        <p className="sr-only" role="status">
          Loading sessions…
        </p>
        <ul className="grid gap-5 sm:grid-cols-2 lg:grid-cols-3">
          {Array.from({ length: 6 }, (_, index) => (
            <li key={index}>
              <SessionCardSkeleton />
            </li>
          ))}
        </ul>
      </div>
    );
  }

  if (items.length === 0) return <NoSessions q={q} tab={tab} mine={mine} />;

  return (
    <div>
      <p className="sr-only" role="status" aria-live="polite">
        {`Showing ${items.length} ${items.length === 1 ? "session" : "sessions"}${q ? ` matching “${q}”` : ""}.`}
      </p>
      {q ? (
        <p className="mb-4 text-sm text-slate-600">
          Results for <span className="font-semibold text-slate-900">“{q}”</span>
        </p>
      ) : null}
      <ul className="grid gap-5 sm:grid-cols-2 lg:grid-cols-3" data-testid="session-grid">
        {items.map((session) => (
          <li key={session.id}>
            <SessionCard session={session} now={now} />
          </li>
        ))}
        {loadingMore
          ? Array.from({ length: 3 }, (_, index) => (
              <li key={`loading-${index}`} aria-hidden="true">
                <SessionCardSkeleton />
              </li>
            ))
          : null}
      </ul>
      {cursors.map((cursor) => (
        <NextPageLoader key={cursor} tab={tab} q={q} mine={mine} cursor={cursor} onPage={onPage} />
      ))}
      {nextCursor || loadingMore ? (
        <div className="mt-10 flex justify-center">
          <Button
            variant="secondary"
            pending={loadingMore}
            onClick={() =>
              nextCursor &&
              setCursors((previous) => (previous.includes(nextCursor) ? previous : [...previous, nextCursor]))
            }
          >
            {loadingMore ? "Loading more…" : "Load more sessions"}
          </Button>
        </div>
      ) : null}
    </div>
  );
}

const EMPTY_TEXT: Record<SessionTab, { title: string; body: string }> = {
  all: { title: "No sessions yet", body: "When instructors schedule live sessions, they will show up here." },
  live: { title: "Nothing is live right now", body: "Check the upcoming sessions and come back when one starts." },
  upcoming: {
    title: "No upcoming sessions",
    body: "Nothing is scheduled yet. New sessions appear here as soon as they are planned.",
  },
  ended: { title: "No past sessions yet", body: "Sessions that have ended will be listed here, ready to rate." },
};

function NoSessions({ q, tab, mine }: { q: string; tab: SessionTab; mine: boolean }) {
  if (mine && !q) {
    return (
      <EmptyState
        icon={<CalendarIcon className="size-6" />}
        title="No sessions of your courses here"
        action={
          <ButtonLink to={sessionsHref({ tab, q })} variant="secondary" preventScrollReset>
            Show all courses
          </ButtonLink>
        }
      >
        Courses you enroll in (or teach) show their sessions here.
      </EmptyState>
    );
  }
  if (q) {
    return (
      <EmptyState
        icon={<SearchIcon className="size-6" />}
        title={`No sessions match “${q}”`}
        action={
          <ButtonLink to={sessionsHref({ tab, q: "", mine })} variant="secondary" preventScrollReset>
            Clear search
          </ButtonLink>
        }
      >
        Try another word, or search all tabs.
      </EmptyState>
    );
  }
  const text = EMPTY_TEXT[tab];
  return (
    <EmptyState
      icon={<CalendarIcon className="size-6" />}
      title={text.title}
      action={
        tab === "live" ? (
          <ButtonLink to={sessionsHref({ tab: "upcoming", q: "" })} variant="secondary" preventScrollReset>
            See upcoming sessions
          </ButtonLink>
        ) : undefined
      }
    >
      {text.body}
    </EmptyState>
  );
}

export function ErrorBoundary() {
  return (
    <div className="mx-auto max-w-3xl px-4 py-16 sm:px-6">
      <h1 className="text-gradient-brand text-3xl font-bold tracking-tight">Live sessions</h1>
      <Alert tone="error" className="mt-6" title="The sessions could not be loaded">
        Something went wrong on our side. Reload the page to try again in a moment.
      </Alert>
      <ButtonLink to="/sessions" reloadDocument className="mt-6">
        Reload
      </ButtonLink>
    </div>
  );
}
