/**
 * Per-feed numbers for the development debug panel, from a PeerConnection's getStats(): bitrate (from
 * the byte counter's growth since the previous sample), packets lost, frames per second, ICE state and
 * the type of the candidate pair in use (host, srflx = through NAT via STUN, relay = through TURN).
 */

type Report = Record<string, unknown>;

export interface FeedStatsSample {
  bytes: number;
  at: number;
}

export interface FeedStats {
  direction: "send" | "receive";
  bitrateKbps: number | null;
  packetsLost: number;
  framesPerSecond: number | null;
  iceState: string;
  candidatePair: string;
}

const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * Summarises one PeerConnection's stats reports (any iterable of report objects). `previous` is the
 * sample this returns as `sample` the time before; the first call has no bitrate yet.
 */
export function summarizeStats(
  reports: Iterable<Report>,
  direction: FeedStats["direction"],
  iceState: string,
  previous: FeedStatsSample | null,
  now: number,
): { stats: FeedStats; sample: FeedStatsSample } {
  const byId = new Map<string, Report>();
  for (const report of reports) byId.set(String(report.id), report);
  let bytes = 0;
  let packetsLost = 0;
  let framesPerSecond: number | null = null;
  let selectedPairId: string | null = null;
  const rtpType = direction === "send" ? "outbound-rtp" : "inbound-rtp";
  for (const report of byId.values()) {
    if (report.type === rtpType) {
      bytes += num(direction === "send" ? report.bytesSent : report.bytesReceived);
      if (direction === "receive") packetsLost += num(report.packetsLost);
      if (report.kind === "video" && typeof report.framesPerSecond === "number") {
        framesPerSecond = Math.max(framesPerSecond ?? 0, report.framesPerSecond);
      }
    }
    // A sender learns its losses from the receiver's reports.
    if (direction === "send" && report.type === "remote-inbound-rtp") packetsLost += num(report.packetsLost);
    if (report.type === "transport" && typeof report.selectedCandidatePairId === "string") {
      selectedPairId = report.selectedCandidatePairId;
    }
  }
  if (!selectedPairId) {
    for (const report of byId.values()) {
      if (report.type === "candidate-pair" && (report.selected === true || report.nominated === true)) {
        selectedPairId = String(report.id);
        if (report.state === "succeeded") break;
      }
    }
  }
  const pair = selectedPairId ? byId.get(selectedPairId) : undefined;
  const local = pair ? byId.get(String(pair.localCandidateId)) : undefined;
  const remote = pair ? byId.get(String(pair.remoteCandidateId)) : undefined;
  const candidatePair = local
    ? `${String(local.candidateType)}${local.protocol ? `/${String(local.protocol)}` : ""} → ${String(remote?.candidateType ?? "?")}`
    : "none yet";
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const bitrateKbps =
    previous && seconds > 0 && bytes >= previous.bytes
      ? Math.round(((bytes - previous.bytes) * 8) / seconds / 1000)
      : null;
  return {
    stats: { direction, bitrateKbps, packetsLost, framesPerSecond, iceState, candidatePair },
    sample: { bytes, at: now },
  };
}
