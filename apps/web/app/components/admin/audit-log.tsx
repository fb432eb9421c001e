import type { AppRouter, inferRouterOutputs } from "@livehall/api";
import { AbsoluteTime } from "../sessions/session-time";
import { EmptyState } from "../ui";

type AuditEntry = inferRouterOutputs<AppRouter>["admin"]["auditLog"][number];

const VALUE_LABEL: Record<string, string> = {
  STUDENT: "student",
  INSTRUCTOR: "instructor",
  ADMIN: "admin",
  enabled: "enabled",
  disabled: "disabled",
};

function describe(entry: AuditEntry): string {
  const from = VALUE_LABEL[entry.fromValue ?? ""] ?? entry.fromValue;
  const to = VALUE_LABEL[entry.toValue ?? ""] ?? entry.toValue;
  switch (entry.action) {
    case "ROLE_CHANGED":
      return `changed the role from ${from} to ${to}`;
    case "ACCOUNT_DISABLED":
      return "disabled the account";
    case "ACCOUNT_ENABLED":
      return "enabled the account";
    case "ROLE_REQUEST_APPROVED":
      return from === to
        ? `approved the request to teach (already ${to})`
        : `approved the request to teach (${from} → ${to})`;
    case "ROLE_REQUEST_DECLINED":
      return "declined the request to teach";
  }
}

/** Who changed what about which account, newest first. */
export function AuditLogList({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0)
    return <EmptyState title="No changes yet">Role changes and disabled accounts show here.</EmptyState>;
  return (
    <ol className="divide-y divide-slate-200 rounded-card bg-white/80 ring-1 ring-slate-200" data-testid="audit-log">
      {entries.map((entry) => (
        <li
          key={entry.id}
          className="flex flex-col gap-1 px-4 py-3 text-sm sm:flex-row sm:items-baseline sm:justify-between"
        >
          <p className="text-slate-800">
            <span className="font-semibold">{entry.actor?.name ?? "A deleted account"}</span> {describe(entry)} of{" "}
            <span className="font-semibold">{entry.target?.name ?? "a deleted account"}</span>
            {entry.target ? <span className="text-slate-600"> ({entry.target.email})</span> : null}
          </p>
          <AbsoluteTime date={new Date(entry.createdAt)} className="shrink-0 text-xs text-slate-600" />
        </li>
      ))}
    </ol>
  );
}
