import type { Services } from "../context";
import { JOB_NAMES, type JobCounts, type JobName } from "./definitions";

export interface JobRun {
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  counts: JobCounts;
  error: string | null;
  /** "schedule" or "admin" (on demand). */
  trigger: string;
}

/** The worker records the last run of each job; the admin page reads it. */
export async function recordJobRun(
  services: Pick<Services, "redis" | "keys">,
  name: JobName,
  run: JobRun,
): Promise<void> {
  await services.redis.set(services.keys.jobLastRun(name), JSON.stringify(run));
}

export async function lastJobRuns(services: Pick<Services, "redis" | "keys">): Promise<Record<JobName, JobRun | null>> {
  const values = await services.redis.mget(...JOB_NAMES.map((name) => services.keys.jobLastRun(name)));
  return Object.fromEntries(
    JOB_NAMES.map((name, index) => [name, values[index] ? (JSON.parse(values[index]!) as JobRun) : null]),
  ) as Record<JobName, JobRun | null>;
}
