import { useEffect, useState } from "react";
import { authSession, onTokens } from "../../lib/api.client";
import type { RoomState } from "../../lib/room/connection";
import { cn } from "../ui";

/**
 * Development only (the room imports it lazily behind `import.meta.env.DEV`, so production bundles do
 * not contain it): what the room's connection is doing, live. Marker for the bundle check:
 * lh-room-debug-panel.
 */
export default function RoomDebugPanel({ state, connectionId }: { state: RoomState; connectionId: string | null }) {
  const [now, setNow] = useState(() => Date.now());
  const [expiresAt, setExpiresAt] = useState(() => authSession().accessTokenExpiresAt);
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
      setExpiresAt(authSession().accessTokenExpiresAt);
    }, 500);
    const stop = onTokens(() => setExpiresAt(authSession().accessTokenExpiresAt));
    return () => {
      clearInterval(timer);
      stop();
    };
  }, []);

  const { debug } = state;
  const ago = (at: number | null) => (at === null ? "—" : `${((now - at) / 1000).toFixed(1)} s ago`);
  const tokenLeft = expiresAt ? (expiresAt.getTime() - now) / 1000 : null;

  return (
    <details
      className="lh-room-debug-panel mt-8 rounded-card border border-dashed border-slate-400 bg-slate-900/95 p-4 font-mono text-xs text-slate-100 shadow-card"
      open
    >
      <summary className="cursor-pointer text-sm font-semibold text-white">Room debug (development build)</summary>
      <dl className="mt-3 grid gap-x-6 gap-y-1.5 sm:grid-cols-2 lg:grid-cols-4">
        <Item label="phase" value={state.phase} />
        <Item label="attempt" value={`${state.attempt} (retries ${debug.retries})`} />
        <Item label="next retry" value={state.retryAt ? `in ${((state.retryAt - now) / 1000).toFixed(1)} s` : "—"} />
        <Item label="heartbeat every" value={`${state.heartbeatIntervalMs / 1000} s`} />
        <Item label="event stream" value={state.stream} />
        <Item label="stream restarts" value={String(debug.streamRestarts)} />
        <Item label="events / snapshots" value={`${debug.events} / ${debug.snapshots}`} />
        <Item label="last event" value={ago(debug.lastEventAt)} />
        <Item label="seq" value={String(state.participants.seq ?? "—")} />
        <Item label="joins" value={String(debug.joins)} />
        <Item
          label="access token"
          value={
            tokenLeft === null
              ? "unknown"
              : tokenLeft > 0
                ? `expires in ${tokenLeft.toFixed(1)} s`
                : `expired ${(-tokenLeft).toFixed(1)} s ago`
          }
          warn={tokenLeft !== null && tokenLeft < 0}
        />
        <Item label="signed out" value={authSession().signedOut ?? "no"} />
        <Item label="connection id" value={connectionId ?? "—"} />
        <Item label="my tabs" value={String(state.connections)} />
      </dl>
      <div className="mt-4 grid gap-4 lg:grid-cols-2">
        <section>
          <h3 className="font-semibold text-white">Last heartbeats</h3>
          <ol className="mt-1.5 space-y-0.5">
            {debug.heartbeats.length === 0 ? <li className="text-slate-400">none yet</li> : null}
            {debug.heartbeats.map((beat) => (
              <li key={beat.at} className={cn(beat.status !== "ok" && "text-amber-300")}>
                {ago(beat.at)} · {beat.status} · {beat.latencyMs} ms
              </li>
            ))}
          </ol>
        </section>
        <section>
          <h3 className="font-semibold text-white">Last errors</h3>
          <ol className="mt-1.5 space-y-0.5">
            {debug.errors.length === 0 ? <li className="text-slate-400">none</li> : null}
            {debug.errors.map((error) => (
              <li key={`${error.at}-${error.source}`} className="text-rose-300">
                {ago(error.at)} · {error.source} · {error.reason ?? "network"} · {error.message}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </details>
  );
}

function Item({ label, value, warn = false }: { label: string; value: string; warn?: boolean }) {
  return (
    <div className="flex justify-between gap-3 border-b border-white/10 py-0.5">
      <dt className="text-slate-400">{label}</dt>
      <dd className={cn("truncate text-right", warn && "text-amber-300")}>{value}</dd>
    </div>
  );
}
