import { readFileSync } from "node:fs";

export interface OpenFileLimits {
  soft: number | "unlimited";
  hard: number | "unlimited";
}

const limit = (value: string) => (value === "unlimited" ? value : Number(value));

/**
 * The process's limits on open files, from the "Max open files" line of `/proc/self/limits` (Linux);
 * null elsewhere. Every open room stream holds one (its socket), so the hard limit caps the tabs one
 * web process can serve (docs/performance.md: how to raise it, and spreading over processes).
 */
export function openFileLimits(limits?: string): OpenFileLimits | null {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return null;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  return match ? { soft: limit(match[1]!), hard: limit(match[2]!) } : null;
}
