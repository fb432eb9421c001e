import { useFetcher } from "@remix-run/react";
import type { ReactNode } from "react";
import { formatRelative } from "../../lib/time";
import { ClockIcon } from "../icons";
import { countLabel, formatRunDuration, formatSpan, isContextCount } from "../teach/format";
import { Alert, Badge, Button, Card, cn } from "../ui";
import type { JobView, RunJobResult } from "./types";

export const JOB_INFO: Record<string, { title: string; description: string }> = {
  "tokens.expire": {
    title: "Token clean-up",
    description: "Deletes refresh tokens that have expired, and revoked ones once the retention period is over.",
  },
  "participants.dedupe": {
    title: "Participant reconcile",
    description:
      "Matches participants in Postgres with connections in Redis: closes duplicate rows, rows of ended sessions and rows left without a connection, and drops orphan connections.",
  },
  "heartbeats.evict": {
    title: "Heartbeat eviction",
    description: "Evicts connections that stopped sending heartbeats, and times out participants left without any.",
  },
  "sessions.endOverrun": {
    title: "End forgotten sessions",
    description:
      "Ends live sessions that ran past their planned length plus the grace period while their instructor was not in the room.",
  },
  "sessionMail.sync": {
    title: "Session mail sync",
    description:
      "Plans again the class reminders due within a day and the notices of recently cancelled classes, in case the queue lost them (a Redis restart). Nothing is ever sent twice.",
  },
  "media.reconcile": {
    title: "Media reconcile",
    description:
      "Makes each media server match the sessions: creates rooms of live sessions (after a media server restart), destroys rooms of ended ones, and disconnects video from people no longer in the room.",
  },
};

function Counts({ counts, className }: { counts: Record<string, number>; className?: string }) {
  return (
    <dl className={cn("flex flex-wrap gap-2", className)}>
      {Object.entries(counts).map(([key, value]) => (
        <div
          key={key}
          data-count={key}
          className={cn(
            "inline-flex items-center gap-1.5 rounded-full px-2.5 py-1 text-xs ring-1 ring-inset",
            value > 0 && !isContextCount(key)
              ? "bg-brand-50 text-brand-800 ring-brand-200"
              : "bg-white/70 text-slate-700 ring-slate-200",
          )}
        >
          <dt>{countLabel(key)}</dt>
          <dd className="font-bold tabular-nums">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Meta({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{label}</dt>
      <dd className="mt-0.5 text-sm font-semibold text-slate-900">{children}</dd>
    </div>
  );
}

const NO_WORKER_TEXT = "Start the worker process (npm start runs it next to the web server), then run the job again.";

/** One job scheduler: what it does, its schedule and last run, and "Run now" with the answer. */
export function JobCard({ job, now, workers }: { job: JobView; now: Date; workers: number }) {
  const info = JOB_INFO[job.name] ?? { title: job.name, description: "" };
  const fetcher = useFetcher<RunJobResult>({ key: `run-job:${job.name}` });
  const pending = fetcher.state !== "idle";
  const result = !pending && fetcher.data ? fetcher.data : null;

  const last = job.lastRun;
  const next = job.nextRunAt ? new Date(job.nextRunAt) : null;
  const nextText =
    next === null
      ? "Not scheduled"
      : next.getTime() < now.getTime() - 5_000 && workers === 0
        ? "Waiting for a worker"
        : formatRelative(next, now);

  return (
    <Card as="article" className="p-5 sm:p-6" data-testid={`job-${job.name}`} aria-labelledby={`job-${job.name}-title`}>
      <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="max-w-2xl min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={`job-${job.name}-title`} className="text-base font-semibold text-slate-900">
              {info.title}
            </h3>
            <code className="rounded-md bg-slate-900/5 px-1.5 py-0.5 font-mono text-xs text-slate-700">{job.name}</code>
          </div>
          <p className="mt-1 text-sm text-slate-600">{info.description}</p>
        </div>
        <fetcher.Form method="post" className="shrink-0">
          <input type="hidden" name="intent" value="run-job" />
          <input type="hidden" name="name" value={job.name} />
          <Button type="submit" size="sm" pending={pending} aria-label={`Run now: ${job.name}`}>
            {pending ? "Running…" : "Run now"}
          </Button>
        </fetcher.Form>
      </div>

      <dl className="mt-5 grid grid-cols-2 gap-4 border-t border-slate-200/70 pt-5 sm:grid-cols-4">
        <Meta label="Runs every">
          <span className="inline-flex items-center gap-1.5">
            <ClockIcon className="size-4 text-slate-500" />
            {formatSpan(job.everyMs)}
          </span>
        </Meta>
        <Meta label="Last run">
          {last ? (
            <span className="inline-flex flex-wrap items-center gap-1.5" data-testid="last-run">
              {/* A run that finished after the page's clock last ticked is "just now", never "starting now". */}
              <time dateTime={last.finishedAt}>
                {formatRelative(new Date(Math.min(new Date(last.finishedAt).getTime(), now.getTime() - 1)), now)}
              </time>
              {last.ok ? <Badge tone="success">OK</Badge> : <Badge tone="live">Failed</Badge>}
              <span className="text-xs font-normal text-slate-600">
                {last.trigger === "admin" ? "on demand" : "scheduled"}
              </span>
            </span>
          ) : (
            <span className="font-normal text-slate-600">Never</span>
          )}
        </Meta>
        <Meta label="Took">
          {last ? formatRunDuration(last.durationMs) : <span className="font-normal text-slate-600">–</span>}
        </Meta>
        <Meta label="Next run">{nextText}</Meta>
      </dl>
      {/* After "Run now" the result below shows the latest counts; the last run's would repeat them. */}
      {last && !result?.ok ? (
        <div className="mt-4">
          <p className="text-xs font-medium tracking-wide text-slate-600 uppercase">Last run&rsquo;s counts</p>
          {last.ok ? (
            <Counts counts={last.counts} className="mt-2" />
          ) : (
            <p className="mt-1 text-sm text-live-700">{last.error ?? "The run failed."}</p>
          )}
        </div>
      ) : null}

      {/* Always in the page and polite, so the answer is read out where the button keeps focus. */}
      <div aria-live="polite" data-testid="run-result">
        {result?.ok ? (
          <Alert tone="success" className="mt-5" title={`${info.title} ran just now`}>
            <Counts counts={result.counts} className="mt-2" />
          </Alert>
        ) : null}
        {result && !result.ok ? (
          <Alert
            tone="error"
            className="mt-5"
            title={
              result.reason === "NO_WORKER"
                ? "No worker is running"
                : result.reason === "JOB_TIMEOUT"
                  ? "Still running"
                  : "The job did not run"
            }
          >
            {result.reason === "NO_WORKER" ? NO_WORKER_TEXT : result.message}
          </Alert>
        ) : null}
      </div>
    </Card>
  );
}
