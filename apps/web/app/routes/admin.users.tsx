import type { Role } from "@livehall/api";
import { SEARCH_MAX_LENGTH } from "@livehall/api/limits";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import { AdminTabs } from "../components/admin/admin-tabs";
import { AuditLogList } from "../components/admin/audit-log";
import { Backdrop } from "../components/backdrop";
import { ROLES, ROLE_IN_SENTENCE, ROLE_LABEL } from "../components/roles";
import { AreaErrorBoundary } from "../components/forbidden";
import { requireArea } from "../components/forbidden.server";
import { AbsoluteTime } from "../components/sessions/session-time";
import { actionMessageFrom } from "../components/teach/action-errors.server";
import { Alert, Badge, Button, ButtonLink, Card, EmptyState, Input, cn } from "../components/ui";
import { ConfirmButton } from "../components/ui/confirm-dialog";
import { EyebrowPill, PageHeader, Section } from "../components/ui/page-header";

export const meta: MetaFunction = () => [{ title: "Users · Admin · Livehall" }];

function parseFilters(url: URL) {
  const role = url.searchParams.get("role");
  const state = url.searchParams.get("state");
  return {
    search: (url.searchParams.get("q") ?? "").trim().slice(0, 100) || undefined,
    role: ROLES.some((item) => item.value === role) ? (role as Role) : undefined,
    state: state === "active" || state === "disabled" ? (state as "active" | "disabled") : undefined,
    cursor: url.searchParams.get("cursor") ?? undefined,
  };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = requireArea(request, context, "admin");
  const filters = parseFilters(new URL(request.url));
  const [users, audit, requests] = await Promise.all([
    context.caller.admin.users(filters).catch(() => context.caller.admin.users({ ...filters, cursor: undefined })),
    context.caller.admin.auditLog({ limit: 20 }),
    context.caller.admin.roleRequests({ limit: 1 }),
  ]);
  return { users, audit, filters, me: admin.id, pendingRequests: requests.count };
}

type ActionAnswer = { ok: true; userId: string; message: string } | { ok: false; userId: string; message: string };

export async function action({ request, context }: ActionFunctionArgs) {
  requireArea(request, context, "admin");
  const form = await request.formData();
  const intent = form.get("intent");
  const userId = String(form.get("userId") ?? "");
  const name = String(form.get("name") ?? "this person");
  try {
    if (intent === "set-role") {
      const role = String(form.get("role") ?? "") as Role;
      const result = await context.caller.admin.setRole({ userId, role });
      const message = result.changed
        ? `${name} is now ${ROLE_IN_SENTENCE[result.role]}.`
        : `${name} already had that role.`;
      return data<ActionAnswer>({ ok: true, userId, message });
    }
    if (intent === "set-disabled") {
      const disabled = form.get("disabled") === "true";
      await context.caller.admin.setDisabled({ userId, disabled });
      const message = disabled ? `${name} is disabled and signed out everywhere.` : `${name} can sign in again.`;
      return data<ActionAnswer>({ ok: true, userId, message });
    }
    return data<ActionAnswer>(
      { ok: false, userId, message: "Unknown action. Reload the page and try again." },
      { status: 400 },
    );
  } catch (error) {
    const { message, status } = actionMessageFrom(error, "That did not work. Try again.");
    return data<ActionAnswer>({ ok: false, userId, message }, { status });
  }
}

type UserRow = ReturnType<typeof useLoaderData<typeof loader>>["users"]["items"][number];

function RoleForm({ user, disabled }: { user: UserRow; disabled: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const pending = fetcher.state !== "idle";
  return (
    <fetcher.Form method="post" className="flex items-center gap-2">
      <input type="hidden" name="intent" value="set-role" />
      <input type="hidden" name="userId" value={user.id} />
      <input type="hidden" name="name" value={user.name} />
      <label htmlFor={`role-${user.id}`} className="sr-only">
        Role of {user.name}
      </label>
      <select
        id={`role-${user.id}`}
        name="role"
        defaultValue={user.role}
        disabled={disabled}
        className="min-h-11 rounded-control border border-slate-300 bg-white px-3 text-sm font-medium text-slate-900 shadow-sm focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none disabled:bg-slate-100 disabled:text-slate-500"
      >
        {ROLES.map((role) => (
          <option key={role.value} value={role.value}>
            {role.label}
          </option>
        ))}
      </select>
      <Button type="submit" variant="secondary" size="sm" pending={pending} disabled={disabled}>
        Save<span className="sr-only"> role of {user.name}</span>
      </Button>
      <FetcherAnswer answer={fetcher.data} />
    </fetcher.Form>
  );
}

function FetcherAnswer({ answer }: { answer: ActionAnswer | undefined }) {
  if (!answer) return null;
  return (
    <p role="status" className={cn("text-sm font-medium", answer.ok ? "text-success-800" : "text-live-700")}>
      {answer.message}
    </p>
  );
}

function StateControl({ user, isMe }: { user: UserRow; isMe: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const disabled = user.disabledAt !== null;
  const submit = () =>
    fetcher.submit(
      { intent: "set-disabled", userId: user.id, name: user.name, disabled: String(!disabled) },
      { method: "post" },
    );
  if (isMe) return <p className="text-sm text-slate-600">This is you</p>;
  return (
    <div className="flex flex-wrap items-center gap-2">
      {disabled ? (
        <Button variant="secondary" size="sm" pending={fetcher.state !== "idle"} onClick={submit}>
          Enable<span className="sr-only"> {user.name}</span>
        </Button>
      ) : (
        <ConfirmButton
          title={`Disable ${user.name}?`}
          description={
            <>
              They are signed out on every device at once, leave any live class they are in, and cannot sign in until an
              admin enables the account again.
            </>
          }
          confirmLabel="Disable account"
          confirmVariant="live"
          pending={fetcher.state !== "idle"}
          onConfirm={submit}
          aria-label={`Disable ${user.name}`}
        >
          Disable
        </ConfirmButton>
      )}
      <FetcherAnswer answer={fetcher.data} />
    </div>
  );
}

function UserCard({ user, me }: { user: UserRow; me: string }) {
  const isMe = user.id === me;
  return (
    <li>
      <Card className="flex flex-col gap-4 p-4 sm:p-5 lg:flex-row lg:items-center lg:justify-between">
        <div className="min-w-0">
          <p className="flex flex-wrap items-center gap-2">
            <span className="truncate font-semibold text-slate-900">{user.name}</span>
            <Badge tone={user.role === "ADMIN" ? "brand" : user.role === "INSTRUCTOR" ? "upcoming" : "neutral"}>
              {ROLE_LABEL[user.role]}
            </Badge>
            {user.disabledAt ? <Badge tone="cancelled">Disabled</Badge> : null}
          </p>
          <p className="truncate text-sm text-slate-600">{user.email}</p>
          <p className="mt-1 text-xs text-slate-600">
            {user.lastSignInAt ? (
              <>
                Last signed in <AbsoluteTime date={new Date(user.lastSignInAt)} />
              </>
            ) : (
              "Never signed in"
            )}
          </p>
        </div>
        <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
          <RoleForm user={user} disabled={isMe} />
          <StateControl user={user} isMe={isMe} />
        </div>
      </Card>
    </li>
  );
}

export default function AdminUsersPage() {
  const { users, audit, filters, me, pendingRequests } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const searching = navigation.state === "loading" && navigation.location.pathname === "/admin/users";
  const nextHref = users.nextCursor
    ? `/admin/users?${new URLSearchParams({
        ...(filters.search ? { q: filters.search } : {}),
        ...(filters.role ? { role: filters.role } : {}),
        ...(filters.state ? { state: filters.state } : {}),
        cursor: users.nextCursor,
      })}`
    : null;

  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-7xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14 lg:px-8">
        <PageHeader
          eyebrow={<EyebrowPill>Admin</EyebrowPill>}
          title="Users"
          description="Find people, change what they can do, and disable accounts. Every change is recorded below."
        />
        <AdminTabs current="users" pendingRequests={pendingRequests} className="mt-6" />

        {answer && !answer.ok ? (
          <Alert tone="error" className="mt-6" title="That did not work">
            {answer.message}
          </Alert>
        ) : null}

        <Form method="get" className="mt-8 flex flex-col gap-3 sm:flex-row sm:items-end" role="search">
          <div className="flex-1">
            <label htmlFor="user-search" className="mb-1.5 block text-sm font-semibold text-slate-900">
              Search by name or e-mail
            </label>
            <Input
              id="user-search"
              name="q"
              type="search"
              maxLength={SEARCH_MAX_LENGTH}
              defaultValue={filters.search ?? ""}
            />
          </div>
          <div>
            <label htmlFor="user-role" className="mb-1.5 block text-sm font-semibold text-slate-900">
              Role
            </label>
            <select
              id="user-role"
              name="role"
              defaultValue={filters.role ?? ""}
              className="min-h-11 w-full rounded-control border border-slate-300 bg-white px-3 text-sm shadow-sm focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none"
            >
              <option value="">Everyone</option>
              {ROLES.map((role) => (
                <option key={role.value} value={role.value}>
                  {role.label}s
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="user-state" className="mb-1.5 block text-sm font-semibold text-slate-900">
              Account
            </label>
            <select
              id="user-state"
              name="state"
              defaultValue={filters.state ?? ""}
              className="min-h-11 w-full rounded-control border border-slate-300 bg-white px-3 text-sm shadow-sm focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none"
            >
              <option value="">Any</option>
              <option value="active">Active</option>
              <option value="disabled">Disabled</option>
            </select>
          </div>
          <Button type="submit" pending={searching}>
            Search
          </Button>
        </Form>

        <Section className="mt-8" title="People" id="users">
          {users.items.length === 0 ? (
            <EmptyState
              title="Nobody matches"
              action={
                <ButtonLink to="/admin/users" variant="secondary">
                  Clear filters
                </ButtonLink>
              }
            >
              Try another name or e-mail, or clear the filters.
            </EmptyState>
          ) : (
            <ul className="space-y-3" data-testid="user-list">
              {users.items.map((user) => (
                <UserCard key={user.id} user={user} me={me} />
              ))}
            </ul>
          )}
          {nextHref ? (
            <div className="mt-6 flex justify-center">
              <Link
                to={nextHref}
                className="inline-flex min-h-11 items-center rounded-control px-4 text-sm font-semibold text-brand-700 ring-1 ring-brand-200 hover:bg-brand-50"
              >
                Show more people
              </Link>
            </div>
          ) : null}
        </Section>

        <Section
          className="mt-10"
          title="Audit log"
          id="audit"
          description="The latest account changes: who made them, when, and what changed."
        >
          <AuditLogList entries={audit} />
        </Section>
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <AreaErrorBoundary area="admin" />;
}
