import type { JobName } from "@livehall/api";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { AdminTabs } from "../components/admin/admin-tabs";
import { JobCard } from "../components/admin/job-card";
import { MediaServerCard } from "../components/admin/media-servers";
import { RoleRequestList, type DecideAnswer } from "../components/admin/role-requests";
import type { RunJobResult } from "../components/admin/types";
import { Backdrop } from "../components/backdrop";
import { AreaErrorBoundary } from "../components/forbidden";
import { requireArea } from "../components/forbidden.server";
import { BroadcastIcon, ClockIcon, DriftIcon, KeyIcon, ShieldIcon, UsersIcon } from "../components/icons";
import { useNow } from "../components/sessions/use-now";
import { actionMessageFrom } from "../components/teach/action-errors.server";
import { countLabel, driftTotal, isContextCount } from "../components/teach/format";
import { useAutoRevalidate } from "../lib/use-auto-revalidate";
import { Alert, cn } from "../components/ui";
import { EyebrowPill, PageHeader, Section } from "../components/ui/page-header";
import { StatCard } from "../components/ui/stat";

export const meta: MetaFunction = () => [{ title: "Maintenance · Admin · Livehall" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  requireArea(request, context, "admin");
  const [overview, requests, mediaServers] = await Promise.all([
    context.caller.admin.overview(),
    context.caller.admin.roleRequests({ limit: 50 }),
    context.caller.admin.mediaServers(),
  ]);
  return {
    overview,
    requests,
    mediaServers,
    now: new Date().toISOString(),
    refreshMs: Math.min(context.services.config.timings.sessionsRefreshMs, 10_000),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  requireArea(request, context, "admin");
  const form = await request.formData();
  if (form.get("intent") === "decide-request") return decideRequest(context, form);
  const name = String(form.get("name") ?? "");
  if (form.get("intent") !== "run-job") {
    return data<RunJobResult>(
      { ok: false, name, reason: "INVALID_INPUT", message: "Unknown action. Reload the page and try again." },
      { status: 400 },
    );
  }
  try {
    // The name is checked by the procedure's input (an unknown job is a 400 with its message).
    const result = await context.caller.admin.runJob({ name: name as JobName });
    return data<RunJobResult>({ ok: true, name, counts: result.counts, ranAt: new Date().toISOString() });
  } catch (error) {
    const { message, status, reason } = actionMessageFrom(error, "The job did not run.");
    return data<RunJobResult>({ ok: false, name, reason, message }, { status });
  }
}

async function decideRequest(context: ActionFunctionArgs["context"], form: FormData) {
  const requestId = String(form.get("requestId") ?? "");
  const name = String(form.get("name") ?? "The student");
  const approve = form.get("approve") === "true";
  try {
    await context.caller.admin.decideRoleRequest({ requestId, approve, message: String(form.get("message") ?? "") });
    return data<DecideAnswer>({
      intent: "decide-request",
      ok: true,
      message: approve
        ? `Approved: ${name} can teach from their next page load.`
        : `Declined: ${name} sees your message the next time they look.`,
    });
  } catch (error) {
    const { message, status } = actionMessageFrom(error, "That did not work. Try again.");
    return data<DecideAnswer>({ intent: "decide-request", ok: false, message }, { status });
  }
}

export default function AdminPage() {
  const { overview, requests, mediaServers, now: serverNow, refreshMs } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const decision = answer && "intent" in answer ? answer : null;
  const now = useNow(serverNow, 5_000);
  useAutoRevalidate(refreshMs);
  const { tokens, participants, workers } = overview;
  const drift = participants.lastReconcileDrift;
  const driftCount = drift ? driftTotal(drift) : null;
  const driftDetail = drift
    ? Object.entries(drift)
        .filter(([key, value]) => value > 0 && !isContextCount(key))
        .map(([key, value]) => `${countLabel(key)}: ${value}`)
        .join(" · ") || "nothing was out of step"
    : "no reconcile has run yet";

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14 lg:px-8">
        <PageHeader
          eyebrow={<EyebrowPill>Admin</EyebrowPill>}
          title="Maintenance"
          description="The background jobs that keep tokens and participants clean, and the figures they work on. Updates on its own."
          actions={
            <p
              data-testid="worker-status"
              className={cn(
                "inline-flex min-h-11 items-center gap-2.5 rounded-full px-4 text-sm font-semibold ring-1",
                workers > 0
                  ? "bg-success-50 text-success-800 ring-success-100"
                  : "bg-live-50 text-live-700 ring-live-200",
              )}
            >
              <span
                className={cn("size-2.5 rounded-full", workers > 0 ? "bg-success-600" : "bg-live-600")}
                aria-hidden="true"
              />
              {workers > 0 ? `${workers} ${workers === 1 ? "worker" : "workers"} online` : "No worker running"}
            </p>
          }
        />

        <AdminTabs current="overview" pendingRequests={requests.count} className="mt-6" />

        <Section
          className="mt-8"
          title="Requests to teach"
          count={requests.count}
          id="requests"
          description="Students who asked to become instructors. Approving lets them create courses and run sessions."
        >
          {decision ? (
            <Alert tone={decision.ok ? "success" : "error"} className="mb-4">
              {decision.message}
            </Alert>
          ) : null}
          <RoleRequestList requests={requests.items} />
        </Section>

        {workers === 0 ? (
          <Alert tone="error" className="mt-6" title="No worker is running">
            Scheduled jobs are paused and &ldquo;Run now&rdquo; cannot run them until a worker starts (npm start runs
            one next to the web server).
          </Alert>
        ) : null}

        <div className="mt-8 grid gap-8 lg:grid-cols-2">
          <Section title="Refresh tokens" id="tokens" description="Sign-in sessions, one token family per device.">
            <ul className="grid grid-cols-1 gap-3 sm:grid-cols-3">
              <li>
                <StatCard
                  label="Active"
                  value={tokens.active}
                  detail="current, usable tokens"
                  icon={<KeyIcon className="size-5" />}
                  testId="figure-tokens-active"
                />
              </li>
              <li>
                <StatCard
                  label="Expired"
                  value={tokens.expiredAwaitingCleanup}
                  detail="awaiting clean-up"
                  icon={<ClockIcon className="size-5" />}
                  tone="warning"
                  testId="figure-tokens-expired"
                />
              </li>
              <li>
                <StatCard
                  label="Reuse alerts"
                  value={tokens.familiesRevokedForReuse24h}
                  detail="families revoked in 24 h"
                  icon={<ShieldIcon className="size-5" />}
                  tone="live"
                  testId="figure-tokens-reused"
                />
              </li>
            </ul>
          </Section>
          <Section title="Participants" id="participants" description="People in live rooms and their open tabs.">
            <ul className="grid grid-cols-1 gap-3 sm:grid-cols-3">
              <li>
                <StatCard
                  label="Active"
                  value={participants.active}
                  detail="in live rooms"
                  icon={<UsersIcon className="size-5" />}
                  tone="success"
                  testId="figure-participants-active"
                />
              </li>
              <li>
                <StatCard
                  label="Connections"
                  value={participants.connections}
                  detail="open room tabs"
                  icon={<BroadcastIcon className="size-5" />}
                  testId="figure-connections"
                />
              </li>
              <li>
                <StatCard
                  label="Drift"
                  value={driftCount ?? "–"}
                  detail={drift ? "found by the last reconcile" : "no reconcile yet"}
                  icon={<DriftIcon className="size-5" />}
                  tone="accent"
                  testId="figure-drift"
                />
              </li>
            </ul>
            <p className="mt-3 text-xs text-slate-600" data-testid="drift-detail">
              Last reconcile: {driftDetail}.
            </p>
          </Section>
        </div>

        {mediaServers.length > 0 ? (
          <Section
            className="mt-10"
            title="Media servers"
            count={mediaServers.length}
            id="media"
            description="Janus forwards each session's audio and video; Livehall decides who may send or watch."
          >
            <div className="space-y-4">
              {mediaServers.map((server) => (
                <MediaServerCard key={server.id} server={server} />
              ))}
            </div>
          </Section>
        ) : null}

        <Section
          className="mt-10"
          title="Job schedulers"
          count={overview.jobs.length}
          id="jobs"
          description="Each runs on its schedule in the worker; Run now queues a run at once and shows what it did."
        >
          <div className="space-y-4">
            {overview.jobs.map((job) => (
              <JobCard key={job.name} job={job} now={now} workers={workers} />
            ))}
          </div>
        </Section>
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <AreaErrorBoundary area="admin" />;
}
