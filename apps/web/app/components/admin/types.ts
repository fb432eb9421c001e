import type { AppRouter, inferRouterOutputs } from "@livehall/api";

type Outputs = inferRouterOutputs<AppRouter>;
export type AdminOverview = Outputs["admin"]["overview"];
export type JobView = AdminOverview["jobs"][number];

/** What "Run now" answers: the job's counts, or why it did not run. */
export type RunJobResult =
  | { ok: true; name: string; counts: Record<string, number>; ranAt: string }
  | { ok: false; name: string; reason: string | undefined; message: string };
