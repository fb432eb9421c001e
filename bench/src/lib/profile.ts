import { readFile } from "node:fs/promises";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by where the code lives: a package, Livehall's own code, node internals, GC, idle. */
  byArea: { area: string; ms: number; share: number }[];
  /** Functions by self time. */
  topSelf: { fn: string; where: string; ms: number; share: number }[];
  /** Chosen frames by inclusive time (everything they called), not double-counting recursion. */
  inclusive: { frame: string; ms: number; share: number }[];
}

function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "(program: native, not attributed)";
    return `native: ${functionName || "(anonymous)"}`;
  }
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/")[0]}`;
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.includes("/packages/api/")) return "livehall: packages/api";
  if (url.includes("/apps/web/")) return "livehall: apps/web/server";
  if (url.includes("/packages/db/src/generated")) return "prisma client (generated)";
  return url.replace(/^file:\/\//, "");
}

const shortUrl = (url: string) => {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const root = url.search(/\/(packages|apps|bench)\//);
  return root >= 0 ? url.slice(root + 1) : url.replace(/^file:\/\//, "");
};

/**
 * Reads a `node --cpu-prof` profile: self time per area and function, and inclusive time of the
 * frames named in `inclusiveFrames` (matched on "functionName" or "functionName@file-fragment").
 */
export async function summarizeProfile(
  file: string,
  inclusiveFrames: string[],
  window: { fromMs: number; toMs: number } = { fromMs: 0, toMs: Number.POSITIVE_INFINITY },
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  // Only samples inside the window (ms since the profile started): start-up and shutdown stay out.
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    at += delta;
    if (at < window.fromMs || at > window.toMs) continue;
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta);
  }
  const totalMs = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const busyMs =
    totalMs -
    [...selfMs].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, ms]) => a + ms, 0);

  const areas = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; ms: number }>();
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)!.callFrame;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
    const entry = functions.get(key) ?? {
      fn: frame.functionName || "(anonymous)",
      where: frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : area,
      ms: 0,
    };
    entry.ms += ms;
    functions.set(key, entry);
  }

  // Inclusive time: walk the tree; a matching frame counts its subtree once (nested matches skipped).
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const matches = (frame: CallFrame, pattern: string) => {
    const [fn, file] = pattern.split("@");
    return frame.functionName === fn && (!file || frame.url.includes(file));
  };
  const inclusive = inclusiveFrames.map((pattern) => {
    let ms = 0;
    for (const [id, self] of selfMs) {
      // Count this sample if any ancestor (or itself) matches.
      for (let cursor: number | undefined = id; cursor !== undefined; cursor = parentOf.get(cursor)) {
        if (matches(byId.get(cursor)!.callFrame, pattern)) {
          ms += self;
          break;
        }
      }
    }
    return { frame: pattern, ms, share: ms / busyMs };
  });

  const share = (ms: number) => ms / busyMs;
  return {
    totalMs,
    byArea: [...areas].map(([area, ms]) => ({ area, ms, share: share(ms) })).sort((a, b) => b.ms - a.ms),
    topSelf: [...functions.values()]
      .map((f) => ({ ...f, share: share(f.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 25),
    inclusive: inclusive.sort((a, b) => b.ms - a.ms),
  };
}
