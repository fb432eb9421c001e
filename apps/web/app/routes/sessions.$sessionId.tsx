import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { TRPCError } from "@trpc/server";
import { Suspense, forwardRef, lazy, useEffect, useRef, useState, type ReactNode } from "react";
import { Backdrop } from "../components/backdrop";
import { DetailPageError } from "../components/detail-page-error";
import {
  ArrowLeftIcon,
  ArrowRightIcon,
  BookIcon,
  CalendarIcon,
  ClockIcon,
  DoorIcon,
  FlagIcon,
  LockIcon,
  StarIcon,
  UsersIcon,
} from "../components/icons";
import { initials } from "../components/initials";
import { CourseLink } from "../components/courses/enrollment";
import { ConnectionStatus } from "../components/room/connection-status";
import { DeviceCheck } from "../components/room/media/device-check";
import { MediaStage } from "../components/room/media/media-stage";
import { MediaStatusPill } from "../components/room/media/media-status";
import { ElapsedClock } from "../components/room/elapsed-clock";
import { EnrollPrompt } from "../components/room/enroll-prompt";
import { Avatar, ParticipantList } from "../components/room/participant-list";
import { FloatingReactions, RoomInteraction } from "../components/room/room-interaction";
import { RatingForm, type RateAnswer } from "../components/room/rating-form";
import { AddToCalendar, type CalendarLinks } from "../components/sessions/add-to-calendar";
import { AbsoluteTime, RelativeTime } from "../components/sessions/session-time";
import { RatingSummary } from "../components/sessions/stars";
import { SessionStatusBadge } from "../components/sessions/status-badge";
import { Alert, Button, ButtonLink, Card, cn } from "../components/ui";
import { managesCourse } from "../components/forbidden.server";
import { SessionActions } from "../components/teach/session-actions";
import { RemoveParticipantButton } from "../components/teach/removal-actions";
import { reasonOf } from "../lib/form-errors.server";
import { withRedirectTo } from "../lib/redirect";
import { addToCalendarLinks, type ParticipantView } from "@livehall/api";
import type { RoomState } from "../lib/room/connection";
import { signedOutText, whoIsHere } from "../lib/room/format";
import { initialParticipants, sortedParticipants } from "../lib/room/participants";
import { useRoom } from "../lib/room/use-room";
import { mediaIndicator } from "../lib/media/media-state";
import { useRoomMedia } from "../lib/media/use-room-media";
import { formatDuration } from "../lib/time";
import { useHydrated } from "../lib/use-hydrated";

/** Development builds only: the production bundle never references the panel's module. */
const RoomDebugPanel = import.meta.env.DEV ? lazy(() => import("../components/room/debug-panel")) : null;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How often a page of a scheduled session checks whether it has started. */
const SCHEDULED_RECHECK_MS = 15_000;

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: loaded ? `${loaded.session.title} · Livehall` : "Session · Livehall" },
  { name: "description", content: loaded?.session.description.slice(0, 160) || "A live class on Livehall." },
];

function notFound(): never {
  throw new Response("This session does not exist.", { status: 404 });
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const sessionId = params.sessionId ?? "";
  if (!UUID.test(sessionId)) notFound();
  const session = await context.caller.session.byId({ sessionId }).catch((error: unknown) => {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  const user = context.auth.user;
  // Who may be in the room (docs/decisions/020): anyone else gets the enroll prompt instead of it.
  const access = user ? await context.caller.session.access({ sessionId }) : null;
  const locked = access !== null && !access.allowed;
  const [myRating, rating, participants] = await Promise.all([
    user ? context.caller.session.myRating({ sessionId }).catch(() => null) : null,
    // Whether the viewer may rate (the API's rule): the form is offered only to them.
    user && session.status === "ENDED"
      ? context.caller.session.ratingEligibility({ sessionId }).catch(() => null)
      : null,
    // The first paint of the list (its first page); the live stream's snapshot takes over after
    // hydration (Redis down: no list yet).
    user && session.status === "LIVE" && !locked
      ? context.caller.session
          .participants({ sessionId })
          .then((page) => page.items)
          .catch(() => null)
      : null,
  ]);
  const { heartbeatIntervalMs, clientBackoff } = context.services.config.timings;
  const loaded = {
    session,
    /** Set when the viewer may not be in the room: what the enroll prompt offers. */
    access: locked ? access : null,
    myRating,
    rating,
    participants,
    viewer: user ? { id: user.id, role: user.role } : null,
    /** The course's instructor: the room waits for them until they are in the participant list. */
    instructorId: session.instructor.id,
    /** The course's instructor or an admin: End, the control page and "Remove" in the room. */
    canHost: user !== null && managesCourse(user, session.instructor.id),
    /** The server's clock (ms): the elapsed clock renders the same on the server and while hydrating. */
    now: Date.now(),
    heartbeatIntervalMs,
    backoff: clientBackoff,
    /** "Add to calendar" on a session that has not started. */
    calendar: session.status === "SCHEDULED" ? addToCalendarLinks(context.services.config, session) : null,
    /** This deployment has media servers: the room shows the class's video. */
    media: context.services.config.media.servers.length > 0,
  };
  // The live room refused: 403, with the way in on the page.
  return data(loaded, { status: locked && session.status === "LIVE" ? 403 : 200 });
}

/** Saves the viewer's rating (a plain form post, so it works before the page has hydrated). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const sessionId = params.sessionId ?? "";
  if (!UUID.test(sessionId)) notFound();
  const form = await request.formData();
  if (form.get("intent") !== "rate") return data<RateAnswer>({ ok: false, error: "Unknown action." }, { status: 400 });
  if (!context.auth.user)
    return data<RateAnswer>({ ok: false, error: "Sign in to rate this session." }, { status: 401 });

  const stars = Number(form.get("stars"));
  if (!Number.isInteger(stars) || stars < 1 || stars > 5) {
    return data<RateAnswer>({ ok: false, field: "stars", error: "Choose from 1 to 5 stars." }, { status: 400 });
  }
  const comment = String(form.get("comment") ?? "").trim();
  try {
    const rating = await context.caller.session.rate({ sessionId, stars, comment: comment || null });
    return data<RateAnswer>({ ok: true, rating });
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    switch (reasonOf(error)) {
      // The API's own words: "Only people who attended this session can rate it." and the like.
      case "NOT_AN_ATTENDEE":
      case "NOT_ENOUGH_ATTENDANCE":
      case "NOT_ENROLLED":
      case "RATING_NOT_ALLOWED":
      case "SESSION_NOT_RATEABLE":
        return data<RateAnswer>(
          { ok: false, error: error.message },
          { status: error.code === "FORBIDDEN" ? 403 : 409 },
        );
      case "INVALID_INPUT":
        return data<RateAnswer>(
          {
            ok: false,
            field: "comment",
            error: "The comment could not be saved. Keep it under 2,000 characters of plain text.",
          },
          { status: 400 },
        );
      case "UNAUTHENTICATED":
      case "SESSION_REVOKED":
      case "REFRESH_TOKEN_REUSED":
        return data<RateAnswer>({ ok: false, error: "Sign in again to rate this session." }, { status: 401 });
      case "SERVICE_UNAVAILABLE":
        return data<RateAnswer>(
          { ok: false, error: "Livehall is briefly unavailable. Try again in a moment." },
          { status: 503 },
        );
      default:
        throw error;
    }
  }
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;
type Session = Loaded["session"];

export default function SessionRoomPage() {
  const loaded = useLoaderData<typeof loader>();
  const { session, viewer } = loaded;
  const signedIn = viewer !== null;
  // The list as the server rendered it, until the stream's first snapshot replaces it.
  const [seed] = useState(() => initialParticipants(loaded.participants, session.status));
  const [skewMs] = useState(() => (typeof window === "undefined" ? 0 : loaded.now - Date.now()));
  const { room, state, outbox, pending } = useRoom({
    sessionId: session.id,
    enabled: signedIn && session.status === "LIVE" && loaded.access === null,
    userId: viewer?.id ?? null,
    heartbeatIntervalMs: loaded.heartbeatIntervalMs,
    backoff: loaded.backoff,
    participants: seed,
  });

  // The class's video: from Join until the tab is out of the room (leave, end, removal, sign-out, pagehide).
  const media = useRoomMedia({
    sessionId: session.id,
    enabled: loaded.media,
    phase: state.phase,
    media: state.participants.media,
    backoff: loaded.backoff,
  });

  // The stream said the session is over: reload the page's data (status, end time, ratings).
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  useEffect(() => {
    if (state.phase === "ended") revalidate.current();
  }, [state.phase]);
  // Taken out of the course while here: the page data then shows the way back in instead of the room.
  useEffect(() => {
    if (state.error?.reason === "NOT_ENROLLED") revalidate.current();
  }, [state.error?.reason]);
  // A scheduled session's page notices when it starts.
  useEffect(() => {
    if (session.status !== "SCHEDULED") return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") revalidate.current();
    }, SCHEDULED_RECHECK_MS);
    return () => clearInterval(timer);
  }, [session.status]);

  // Signed out while in the room: the page data soon says "nobody signed in" (the header changes),
  // and the room keeps saying why until the user signs in again.
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);
  useEffect(() => {
    if (state.phase === "signed-out") setSignedOutReason(state.error?.reason ?? "UNAUTHENTICATED");
    else if (signedIn) setSignedOutReason(null);
  }, [state.phase, state.error, signedIn]);

  const status = state.phase === "ended" && state.endedStatus ? state.endedStatus : session.status;
  const inRoom = signedIn && status === "LIVE" && loaded.access === null;
  const connectionId = useConnectionId(room !== null, session.id);
  const hydrated = useHydrated();
  const beforeJoining = state.phase === "idle" || state.phase === "ready";
  const inside = INSIDE.has(state.phase);
  const participants = sortedParticipants(state.participants);
  // Until the instructor has a participant row (their control page open does not count).
  const waitingForInstructor =
    viewer?.id !== loaded.instructorId && !state.participants.participants.has(loaded.instructorId);

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-6 pb-16 sm:px-6 sm:pt-10 lg:px-8">
        <Link
          to="/sessions"
          className="inline-flex min-h-11 items-center gap-2 rounded-control pr-3 text-sm font-semibold text-slate-700 hover:text-slate-900"
        >
          <ArrowLeftIcon className="size-4" />
          All sessions
        </Link>

        <RoomHeader session={session} status={status} serverNow={loaded.now} skewMs={skewMs}>
          {inRoom ? (
            <RoomActions
              state={state}
              onLeave={() => void room?.leave()}
              onRetry={() => room?.retryNow()}
              media={
                media.connection ? (
                  <MediaStatusPill indicator={mediaIndicator(media.state, state.participants.media)} />
                ) : null
              }
              host={
                loaded.canHost ? (
                  <HostControls session={session} peopleInRoom={state.participants.participantCount} />
                ) : null
              }
            />
          ) : null}
        </RoomHeader>

        <div className="mt-6 grid gap-6 lg:mt-8 lg:grid-cols-3">
          <div className="space-y-6 lg:col-span-2">
            {loaded.access ? (
              <EnrollPrompt access={loaded.access} course={session.course} sessionId={session.id} />
            ) : null}
            {inRoom && beforeJoining ? (
              <PreJoin
                session={session}
                participants={participants}
                count={state.participants.participantCount}
                waitingForInstructor={waitingForInstructor}
                ready={state.phase === "ready"}
                stream={state.stream}
                onJoin={() => room?.start()}
              />
            ) : null}
            {inRoom && beforeJoining && !state.hidden && loaded.media && loaded.canHost && hydrated ? (
              <DeviceCheck />
            ) : null}
            {inRoom ? <RoomNotices state={state} sessionId={session.id} onRejoin={() => room?.start()} /> : null}
            {inRoom && inside && waitingForInstructor ? <WaitingForInstructor name={session.instructor.name} /> : null}
            {/* The class itself first: the video, then the conversation around it. */}
            {inRoom && inside && loaded.media ? (
              <MediaStage
                connection={media.connection}
                state={media.state}
                media={state.participants.media}
                publisher={loaded.canHost}
                instructorName={session.instructor.name}
              />
            ) : null}
            {inRoom && inside && viewer && hydrated ? (
              <RoomInteraction
                sessionId={session.id}
                room={room}
                state={state}
                outbox={outbox}
                pending={pending}
                viewerId={viewer.id}
                host={loaded.canHost}
              />
            ) : null}
            {!signedIn && signedOutReason ? (
              <SignedOutNotice reason={signedOutReason} here={`/sessions/${session.id}`} />
            ) : null}
            {status === "LIVE" && !signedIn ? (
              <SignInToJoin sessionId={session.id} count={session.participantCount} />
            ) : null}
            {status === "SCHEDULED" ? (
              <NotStartedYet session={session} serverNow={loaded.now} calendar={loaded.calendar} />
            ) : null}
            {status === "ENDED" ? (
              <>
                <EndedNotice session={session} />
                {!signedIn ? (
                  <SignInToRate sessionId={session.id} />
                ) : loaded.rating?.canRate ? (
                  <RatingForm sessionId={session.id} saved={loaded.myRating} />
                ) : loaded.rating?.reason === "NOT_AN_ATTENDEE" || loaded.rating?.reason === "NOT_ENOUGH_ATTENDANCE" ? (
                  // The instructor of the course is not told anything: rating is for their students.
                  <Alert tone="info" title="Rating this session">
                    {loaded.rating.message}
                  </Alert>
                ) : null}
              </>
            ) : null}
            {status === "CANCELLED" ? (
              <Alert tone="info" title="This session was cancelled">
                It will not take place. Check the upcoming sessions for another date.
              </Alert>
            ) : null}
          </div>

          {/* In the room, who is there sits beside the chat, questions and hands (at lg; below them on phones). */}
          <div className="space-y-6">
            {/* Signed out or removed, the list stops updating: it is not shown as if it were live. */}
            {inRoom && !beforeJoining && state.phase !== "signed-out" && state.phase !== "removed" ? (
              <ParticipantList
                participants={participants}
                count={state.participants.participantCount}
                viewerId={viewer?.id ?? null}
                live={state.stream === "open"}
                updating={state.stream === "reconnecting"}
                action={
                  loaded.canHost
                    ? (participant) =>
                        participant.isInstructor || participant.userId === viewer?.id ? null : (
                          <RemoveParticipantButton sessionId={session.id} person={participant} />
                        )
                    : undefined
                }
              />
            ) : null}
            <aside className="space-y-6" aria-label="About this session">
              <AboutSession session={session} />
              <InstructorCard session={session} />
            </aside>
          </div>
        </div>

        {inRoom && inside ? <FloatingReactions reactions={state.reactions} /> : null}

        {/* Browser only (it reads the tab's AuthSession): never rendered on the server. */}
        {RoomDebugPanel && inRoom && hydrated ? (
          <Suspense fallback={null}>
            <RoomDebugPanel state={state} connectionId={connectionId} />
          </Suspense>
        ) : null}
      </div>
    </div>
  );
}

function useConnectionId(active: boolean, sessionId: string): string | null {
  const [id, setId] = useState<string | null>(null);
  useEffect(() => {
    if (!active) return;
    setId(window.sessionStorage.getItem(`livehall:room:${sessionId}:connection`));
  }, [active, sessionId]);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

function RoomHeader({
  session,
  status,
  serverNow,
  skewMs,
  children,
}: {
  session: Session;
  status: Session["status"];
  serverNow: number;
  skewMs: number;
  children?: ReactNode;
}) {
  const live = status === "LIVE";
  return (
    <Card
      as="section"
      aria-labelledby="session-title"
      className={cn("relative mt-3 overflow-hidden p-5 sm:p-8", live && "ring-1 ring-live-200")}
    >
      {live ? (
        <span
          className="absolute inset-x-0 top-0 h-1 bg-gradient-to-r from-live-500 via-accent-500 to-brand-500"
          aria-hidden="true"
        />
      ) : null}
      <div className="flex flex-col gap-6 lg:flex-row lg:items-start lg:justify-between">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
            <SessionStatusBadge status={status} className={status === "LIVE" ? "shadow-glow-live" : undefined} />
            {live && session.startedAt ? (
              <ElapsedClock startedAt={new Date(session.startedAt)} serverNow={serverNow} skewMs={skewMs} />
            ) : null}
          </div>
          <h1
            id="session-title"
            className="mt-4 text-3xl font-extrabold tracking-tight text-balance text-slate-900 sm:text-4xl"
            data-testid="session-title"
          >
            {session.title}
          </h1>
          <div className="mt-3 flex flex-wrap items-center gap-x-5 gap-y-2 text-sm">
            <p className="inline-flex items-center gap-1.5 font-semibold text-brand-700">
              <BookIcon className="size-4" />
              <span className="sr-only">Course: </span>
              <CourseLink course={session.course} />
            </p>
            <p className="inline-flex items-center gap-2 text-slate-700">
              <span
                className="flex size-6 items-center justify-center rounded-full bg-gradient-to-br from-brand-600 to-accent-600 text-[0.625rem] font-bold text-white"
                aria-hidden="true"
              >
                {initials(session.instructor.name)}
              </span>
              <span>
                <span className="sr-only">Instructor: </span>
                {session.instructor.name}
              </span>
            </p>
          </div>
        </div>
        {children ? <div className="shrink-0 lg:pt-1">{children}</div> : null}
      </div>
    </Card>
  );
}

/** The phases in which this tab is in the room (or on its way back in). */
const INSIDE: ReadonlySet<RoomState["phase"]> = new Set(["connected", "joining", "reconnecting", "offline"]);

function RoomActions({
  state,
  onLeave,
  onRetry,
  media,
  host,
}: {
  state: RoomState;
  onLeave: () => void;
  onRetry: () => void;
  /** The media half of the status indicator. */
  media: ReactNode;
  host: ReactNode;
}) {
  const beforeJoining = state.phase === "idle" || state.phase === "ready";
  if (beforeJoining && !host) return null;
  return (
    <div className="flex flex-col gap-3 border-t border-slate-900/5 pt-5 lg:items-end lg:border-0 lg:pt-0">
      <div className="flex flex-wrap items-center justify-between gap-3 lg:justify-end">
        {beforeJoining ? null : (
          <ConnectionStatus state={state} onRetry={onRetry} media={media} className="lg:justify-end" />
        )}
        {INSIDE.has(state.phase) ? (
          <Button variant="secondary" onClick={onLeave} data-testid="leave">
            <DoorIcon className="size-4" />
            Leave
          </Button>
        ) : null}
      </div>
      {host}
    </div>
  );
}

/** The course's instructor (or an admin) in the room: End for everyone, and the control page in a tab of its own. */
function HostControls({ session, peopleInRoom }: { session: Session; peopleInRoom: number }) {
  return (
    <div className="flex flex-wrap items-center gap-2 lg:justify-end" data-testid="host-controls">
      <a
        href={`/teach/sessions/${session.id}`}
        target="_blank"
        rel="noopener"
        className="inline-flex min-h-11 items-center gap-1.5 rounded-control px-2 text-sm font-semibold text-brand-700 underline-offset-4 hover:underline"
        data-testid="control-page-link"
      >
        Open the control page
        <ArrowRightIcon className="size-4 -rotate-45" />
        <span className="sr-only"> (opens in a new tab)</span>
      </a>
      <SessionActions session={session} endOnly peopleInRoom={peopleInRoom} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Notices of the room's state
// ---------------------------------------------------------------------------------------------

/** What a tab that was in the room shows once signed out (also after the page data says so). */
const SignedOutNotice = forwardRef<HTMLDivElement, { reason: string | null; here: string }>(function SignedOutNotice(
  { reason, here },
  ref,
) {
  return (
    <Alert ref={ref} tone="error" title="You've been signed out" className="p-5">
      <p data-testid="signed-out-message">{signedOutText(reason)} Sign in again to come back to this room.</p>
      <ButtonLink to={withRedirectTo("/login", here)} reloadDocument className="mt-4">
        <LockIcon className="size-4" />
        Sign in again
      </ButtonLink>
    </Alert>
  );
});

function RoomNotices({ state, sessionId, onRejoin }: { state: RoomState; sessionId: string; onRejoin: () => void }) {
  const rejoinRef = useRef<HTMLButtonElement>(null);
  const signInRef = useRef<HTMLDivElement>(null);
  const here = `/sessions/${sessionId}`;
  useEffect(() => {
    // Leaving removes the Leave button: keyboard focus goes on to the way back in.
    if (state.phase === "left") rejoinRef.current?.focus();
    if (state.phase === "signed-out") signInRef.current?.focus();
  }, [state.phase]);

  if (state.phase === "signed-out")
    return <SignedOutNotice ref={signInRef} reason={state.error?.reason ?? null} here={here} />;
  if (state.phase === "left") {
    return (
      <Card as="section" aria-labelledby="left-title" className="p-5 sm:p-6" data-testid="left-notice">
        <h2 id="left-title" className="text-lg font-semibold text-slate-900">
          You left this session
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          {state.error?.message ? `${state.error.message} ` : ""}Others no longer see you in the list. The session is
          still live — come back any time.
        </p>
        <div className="mt-4 flex flex-wrap gap-3">
          <Button ref={rejoinRef} variant="live" onClick={onRejoin}>
            Rejoin
          </Button>
          <ButtonLink to="/sessions" variant="secondary">
            Back to sessions
          </ButtonLink>
        </div>
      </Card>
    );
  }
  if (state.phase === "replaced") {
    return (
      <Alert tone="info" title="This tab was closed" className="p-5">
        <p data-testid="replaced-message">{state.error?.message}</p>
        <p className="mt-1">You're still in the room in your other tabs. To use this one instead, rejoin here.</p>
        <Button variant="secondary" onClick={onRejoin} className="mt-4">
          Use this tab
        </Button>
      </Alert>
    );
  }
  if (state.phase === "removed") {
    return (
      <Alert tone="error" title="The instructor removed you from this session" className="p-5">
        <p data-testid="removed-message">
          You can&rsquo;t join this session again unless the instructor lets you back in. If you think this was a
          mistake, ask them.
        </p>
        <div className="mt-4 flex flex-wrap gap-3">
          <Button variant="secondary" onClick={onRejoin}>
            Try to join again
          </Button>
          <ButtonLink to="/sessions" variant="secondary">
            Back to sessions
          </ButtonLink>
        </div>
      </Alert>
    );
  }
  if (state.phase === "failed") {
    return (
      <Alert tone="error" title="You could not join this room" className="p-5">
        <p>{state.error?.message ?? "Something went wrong."}</p>
        <Button variant="secondary" onClick={onRejoin} className="mt-4">
          Try again
        </Button>
      </Alert>
    );
  }
  if (state.phase === "offline") {
    return (
      <Alert tone="info" title="You're offline" className="p-5">
        You stay in the room for a short while; Livehall reconnects by itself as soon as the network is back.
      </Alert>
    );
  }
  return null;
}

/** The pre-join screen: nothing joins until the Join button (a link, a reload or Back only open this). */
function PreJoin({
  session,
  participants,
  count,
  waitingForInstructor,
  ready,
  stream,
  onJoin,
}: {
  session: Session;
  participants: ParticipantView[];
  count: number;
  waitingForInstructor: boolean;
  /** Hydrated and following the room: the Join button works. */
  ready: boolean;
  stream: RoomState["stream"];
  onJoin: () => void;
}) {
  const faces = participants.slice(0, 5);
  return (
    <Card
      as="section"
      aria-labelledby="pre-join-title"
      className="p-5 ring-1 ring-live-200 sm:p-8"
      data-testid="pre-join"
      data-stream={stream}
    >
      <h2 id="pre-join-title" className="text-2xl font-bold tracking-tight text-slate-900">
        Ready to join?
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        <span className="font-semibold text-slate-900">{session.title}</span> with {session.instructor.name}
      </p>
      <div className="mt-5 flex items-center gap-3">
        {faces.length > 0 ? (
          <div className="flex -space-x-2" aria-hidden="true">
            {faces.map((participant) => (
              <Avatar
                key={participant.userId}
                name={participant.name}
                userId={participant.userId}
                instructor={participant.isInstructor}
              />
            ))}
          </div>
        ) : (
          <UsersIcon className="size-6 text-slate-500" />
        )}
        <p className="text-sm text-slate-700" data-testid="pre-join-who">
          {whoIsHere(
            participants.map((participant) => participant.name),
            count,
          )}
        </p>
      </div>
      {waitingForInstructor ? (
        <p className="mt-4 text-sm font-medium text-warning-800" data-testid="waiting-for-instructor">
          Waiting for the instructor: {session.instructor.name} hasn&rsquo;t joined yet.
        </p>
      ) : null}
      <Button variant="live" onClick={onJoin} disabled={!ready} className="mt-6 w-full sm:w-auto" data-testid="join">
        Join now
      </Button>
    </Card>
  );
}

/** In the room while the course's instructor is not (their control page open does not count). */
function WaitingForInstructor({ name }: { name: string }) {
  return (
    <div data-testid="waiting-for-instructor">
      <Alert tone="info" title="Waiting for the instructor" className="p-5">
        {name} hasn&rsquo;t joined yet. Stay here: you&rsquo;ll see them in the list as soon as they arrive.
      </Alert>
    </div>
  );
}

function SignInToJoin({ sessionId, count }: { sessionId: string; count: number }) {
  return (
    <Card as="section" aria-labelledby="join-title" className="p-5 sm:p-6">
      <div className="flex flex-col gap-5 sm:flex-row sm:items-center sm:justify-between">
        <div>
          <h2 id="join-title" className="text-lg font-semibold text-slate-900">
            This class is live now
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            Sign in to join the room and appear in the list of people in it.
          </p>
        </div>
        <p className="flex shrink-0 items-center gap-2 text-sm text-slate-700">
          <UsersIcon className="size-5 text-live-600" />
          <span>
            <span className="font-semibold text-slate-900 tabular-nums">{count}</span>{" "}
            {count === 1 ? "person" : "people"} in the room
          </span>
        </p>
      </div>
      <ButtonLink to={withRedirectTo("/login", `/sessions/${sessionId}`)} variant="live" className="mt-5">
        Sign in to join
      </ButtonLink>
    </Card>
  );
}

function SignInToRate({ sessionId }: { sessionId: string }) {
  return (
    <Card as="section" aria-labelledby="rate-title" className="p-5 sm:p-6" id="rate">
      <h2 id="rate-title" className="text-lg font-semibold text-slate-900">
        Attended this session?
      </h2>
      <p className="mt-1 text-sm text-slate-600">Sign in to rate it.</p>
      <ButtonLink to={withRedirectTo("/login", `/sessions/${sessionId}#rate`)} variant="secondary" className="mt-4">
        <StarIcon className="size-4 text-amber-500" />
        Sign in to rate
      </ButtonLink>
    </Card>
  );
}

function NotStartedYet({
  session,
  serverNow,
  calendar,
}: {
  session: Session;
  serverNow: number;
  calendar: CalendarLinks | null;
}) {
  return (
    <Card as="section" aria-labelledby="soon-title" className="p-5 sm:p-6">
      <h2 id="soon-title" className="text-lg font-semibold text-slate-900">
        <RelativeTime date={new Date(session.startsAt)} now={new Date(serverNow)} prefix="Starts" />
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        The room opens when the instructor starts the session. This page checks by itself.
      </p>
      {calendar ? <AddToCalendar links={calendar} title={session.title} className="mt-4" /> : null}
    </Card>
  );
}

function EndedNotice({ session }: { session: Session }) {
  const lasted =
    session.startedAt && session.endedAt
      ? new Date(session.endedAt).getTime() - new Date(session.startedAt).getTime()
      : null;
  return (
    <Card as="section" aria-labelledby="ended-title" className="p-5 sm:p-6" data-testid="ended-notice">
      <div className="flex items-start gap-4">
        <span className="flex size-11 shrink-0 items-center justify-center rounded-2xl bg-slate-100 text-slate-700 ring-1 ring-slate-200">
          <FlagIcon className="size-5" />
        </span>
        <div>
          <h2 id="ended-title" className="text-lg font-semibold text-slate-900">
            This session has ended
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            {session.endedAt ? (
              <>
                Ended <AbsoluteTime date={new Date(session.endedAt)} />
                {lasted !== null ? ` after ${formatDuration(lasted)}` : ""}.
              </>
            ) : (
              "Thanks for joining."
            )}
          </p>
          <div className="mt-3">
            <RatingSummary average={session.rating.average} count={session.rating.count} />
          </div>
        </div>
      </div>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// About
// ---------------------------------------------------------------------------------------------

function AboutSession({ session }: { session: Session }) {
  return (
    <Card as="section" aria-labelledby="about-title" className="p-5 sm:p-6">
      <h2 id="about-title" className="text-lg font-semibold text-slate-900">
        About this session
      </h2>
      {session.description ? (
        <p className="mt-2 text-sm leading-6 whitespace-pre-line text-slate-700" data-testid="session-description">
          {session.description}
        </p>
      ) : (
        <p className="mt-2 text-sm text-slate-600">No description.</p>
      )}
      <dl className="mt-5 grid gap-4 border-t border-slate-900/5 pt-5 text-sm sm:grid-cols-2 lg:grid-cols-1">
        <div>
          <dt className="flex items-center gap-2 font-medium text-slate-600">
            <CalendarIcon className="size-4 shrink-0 text-slate-500" />
            {session.startedAt ? "Started" : "Starts"}
          </dt>
          <dd className="mt-0.5 pl-6 font-semibold text-slate-900">
            <AbsoluteTime date={new Date(session.startedAt ?? session.startsAt)} />
          </dd>
        </div>
        <div>
          <dt className="flex items-center gap-2 font-medium text-slate-600">
            <ClockIcon className="size-4 shrink-0 text-slate-500" />
            Planned length
          </dt>
          <dd className="mt-0.5 pl-6 font-semibold text-slate-900">{session.plannedDurationMinutes} minutes</dd>
        </div>
      </dl>
    </Card>
  );
}

function InstructorCard({ session }: { session: Session }) {
  return (
    <Card as="section" aria-labelledby="course-title" className="p-5 sm:p-6">
      <h2 id="course-title" className="text-sm font-semibold tracking-wide text-slate-600 uppercase">
        Course
      </h2>
      <p className="mt-2 text-base">
        <CourseLink course={session.course} />
      </p>
      <div className="mt-4 flex items-center gap-3 border-t border-slate-900/5 pt-4">
        <span
          className="flex size-11 shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-brand-600 to-accent-600 text-sm font-bold text-white shadow-md shadow-brand-600/25"
          aria-hidden="true"
        >
          {initials(session.instructor.name)}
        </span>
        <div>
          <p className="text-sm font-semibold text-slate-900">{session.instructor.name}</p>
          <p className="text-xs text-slate-600">Instructor</p>
        </div>
      </div>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export function ErrorBoundary() {
  return <DetailPageError thing="Session" />;
}
