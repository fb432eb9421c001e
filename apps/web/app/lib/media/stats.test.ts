import { describe, expect, test } from "vitest";
import { summarizeStats } from "./stats";

const receiving = (bytes: number, lost: number) => [
  { id: "in-v", type: "inbound-rtp", kind: "video", bytesReceived: bytes, packetsLost: lost, framesPerSecond: 29 },
  { id: "in-a", type: "inbound-rtp", kind: "audio", bytesReceived: 1_000, packetsLost: 1 },
  { id: "t", type: "transport", selectedCandidatePairId: "p" },
  { id: "p", type: "candidate-pair", localCandidateId: "l", remoteCandidateId: "r", state: "succeeded" },
  { id: "l", type: "local-candidate", candidateType: "srflx", protocol: "udp" },
  { id: "r", type: "remote-candidate", candidateType: "host" },
];

describe("per-feed stats", () => {
  test("bitrate from the byte counter's growth, losses, frames per second and the candidate pair", () => {
    const first = summarizeStats(receiving(10_000, 2), "receive", "connected", null, 1_000);
    expect(first.stats).toEqual({
      direction: "receive",
      bitrateKbps: null,
      packetsLost: 3,
      framesPerSecond: 29,
      iceState: "connected",
      candidatePair: "srflx/udp → host",
    });
    // 126,000 bytes more in 2 s: 504 kbit/s.
    const second = summarizeStats(receiving(136_000, 5), "receive", "connected", first.sample, 3_000);
    expect(second.stats).toMatchObject({ bitrateKbps: 504, packetsLost: 6 });
  });

  test("a sender counts bytes sent and the losses the receiver reports; no pair yet says so", () => {
    const { stats } = summarizeStats(
      [
        { id: "o", type: "outbound-rtp", kind: "video", bytesSent: 50_000, framesPerSecond: 15 },
        { id: "ri", type: "remote-inbound-rtp", kind: "video", packetsLost: 4 },
      ],
      "send",
      "checking",
      { bytes: 0, at: 0 },
      1_000,
    );
    expect(stats).toEqual({
      direction: "send",
      bitrateKbps: 400,
      packetsLost: 4,
      framesPerSecond: 15,
      iceState: "checking",
      candidatePair: "none yet",
    });
  });
});
