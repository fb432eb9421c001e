import { useEffect, useState } from "react";
import type { FeedStatsRow, MediaConnection } from "../../../lib/media/media-connection";
import type { MediaConnectionState } from "../../../lib/media/media-state";

/**
 * Development only (the stage imports it lazily behind `import.meta.env.DEV`, so production bundles do
 * not contain it): per feed, what the media connection is doing. Marker for the bundle check:
 * lh-media-debug-panel.
 */
export default function MediaDebugPanel({
  connection,
  state,
}: {
  connection: MediaConnection;
  state: MediaConnectionState;
}) {
  const [rows, setRows] = useState<FeedStatsRow[]>([]);
  useEffect(() => {
    let cancelled = false;
    const timer = setInterval(() => {
      void connection.stats().then((next) => {
        if (!cancelled) setRows(next);
      });
    }, 1000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [connection]);

  return (
    <details
      className="lh-media-debug-panel m-4 rounded-card border border-dashed border-slate-400 bg-slate-900/95 p-4 font-mono text-xs text-slate-100"
      open
    >
      <summary className="cursor-pointer text-sm font-semibold text-white">Media debug (development build)</summary>
      <p className="mt-2">
        status {state.status} · attempt {state.attempt} · reconnects {state.reconnects} · role {state.role ?? "—"}
        {state.problem ? ` · last problem: ${state.problem.message}` : ""}
      </p>
      {rows.length === 0 ? (
        <p className="mt-2 text-slate-300">No feeds yet.</p>
      ) : (
        <div className="mt-2 overflow-x-auto">
          <table className="w-full text-left">
            <thead>
              <tr className="text-slate-300">
                <th className="pr-4 font-medium">feed</th>
                <th className="pr-4 font-medium">bitrate</th>
                <th className="pr-4 font-medium">lost</th>
                <th className="pr-4 font-medium">fps</th>
                <th className="pr-4 font-medium">ICE</th>
                <th className="font-medium">candidate pair</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.direction}${row.feedId}`} data-testid="media-debug-feed">
                  <td className="pr-4">
                    {row.kind} {row.direction === "send" ? "↑" : "↓"} {row.feedId}
                  </td>
                  <td className="pr-4">{row.bitrateKbps === null ? "—" : `${row.bitrateKbps} kbit/s`}</td>
                  <td className="pr-4">{row.packetsLost}</td>
                  <td className="pr-4">{row.framesPerSecond ?? "—"}</td>
                  <td className="pr-4">{row.iceState}</td>
                  <td>{row.candidatePair}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
