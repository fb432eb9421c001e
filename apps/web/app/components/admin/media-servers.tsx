import type { MediaServerStatus } from "@livehall/api";
import { Link } from "@remix-run/react";
import { Badge, Card } from "../ui";

/** Rooms listed per server; the counts above the list cover every room. */
const ROOMS_SHOWN = 10;

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{label}</dt>
      <dd className="mt-0.5 text-sm font-semibold text-slate-900 tabular-nums">{value.toLocaleString("en-US")}</dd>
    </div>
  );
}

/** One media server (Janus): whether it answers, its rooms with their people, and its connections. */
export function MediaServerCard({ server }: { server: MediaServerStatus }) {
  const titleId = `media-${server.id}-title`;
  return (
    <Card as="article" className="p-5 sm:p-6" data-testid={`media-server-${server.id}`} aria-labelledby={titleId}>
      <div className="flex flex-wrap items-center gap-2">
        <h3 id={titleId} className="text-base font-semibold text-slate-900">
          Media server “{server.id}”
        </h3>
        <Badge tone={server.up ? "success" : "cancelled"}>{server.up ? "Up" : "Down"}</Badge>
        {server.version ? <span className="text-xs text-slate-600">Janus {server.version}</span> : null}
      </div>
      {server.up ? (
        <>
          <dl className="mt-4 grid grid-cols-3 gap-4 sm:max-w-md">
            <Figure label="Rooms" value={server.rooms.length} />
            <Figure label="Connections" value={server.janusSessions} />
            <Figure label="Handles" value={server.handles} />
          </dl>
          {server.rooms.length > 0 ? (
            <ul className="mt-4 divide-y divide-slate-200 text-sm" aria-label={`Rooms on ${server.id}`}>
              {server.rooms.slice(0, ROOMS_SHOWN).map((room) => (
                <li key={room.roomId} className="flex flex-wrap items-center justify-between gap-2 py-2">
                  <Link to={`/sessions/${room.sessionId}`} className="font-medium text-brand-700 hover:underline">
                    {room.title ?? "A session of another deployment"}
                  </Link>
                  <span className="text-slate-600">
                    {room.sending} {room.sending === 1 ? "feed" : "feeds"} sent · {room.watching} watching
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="mt-4 text-sm text-slate-600">No live session has a room here right now.</p>
          )}
        </>
      ) : (
        <p className="mt-3 text-sm text-slate-700">
          It does not answer. Sessions on it go on without video; rooms come back by themselves once it is up (the media
          reconcile job re-creates them). Check that Janus is running at {server.apiUrl}.
        </p>
      )}
    </Card>
  );
}
