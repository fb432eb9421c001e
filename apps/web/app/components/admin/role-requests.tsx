import type { AppRouter, inferRouterOutputs } from "@livehall/api";
import { ROLE_REQUEST_MESSAGE_MAX_LENGTH } from "@livehall/api/limits";
import { Form, useNavigation } from "@remix-run/react";
import { AbsoluteTime } from "../sessions/session-time";
import { Button, Card, EmptyState } from "../ui";
import { TextareaField } from "../ui/textarea";

type PendingRequest = inferRouterOutputs<AppRouter>["admin"]["roleRequests"]["items"][number];

/** The answer of a decision, shown above the list (the decided request leaves it). */
export interface DecideAnswer {
  intent: "decide-request";
  ok: boolean;
  message: string;
}

function RequestCard({ request }: { request: PendingRequest }) {
  const navigation = useNavigation();
  const mine = navigation.formData?.get("requestId") === request.id;
  const choice = mine ? navigation.formData?.get("approve") : null;
  return (
    <li>
      <Card className="p-4 sm:p-5">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <p className="font-semibold text-slate-900">
            {request.user.name} <span className="font-normal text-slate-600">({request.user.email})</span>
          </p>
          <p className="text-xs text-slate-600">
            Asked <AbsoluteTime date={new Date(request.createdAt)} />
          </p>
        </div>
        <p className="mt-2 text-sm whitespace-pre-line text-slate-800">
          {request.note || <span className="text-slate-600">No note.</span>}
        </p>
        <Form method="post" className="mt-4 space-y-3" preventScrollReset>
          <input type="hidden" name="intent" value="decide-request" />
          <input type="hidden" name="requestId" value={request.id} />
          <input type="hidden" name="name" value={request.user.name} />
          <TextareaField
            label="Message to them (optional)"
            name="message"
            maxLength={ROLE_REQUEST_MESSAGE_MAX_LENGTH}
            rows={2}
            hint="They see it the next time they open Livehall."
          />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" name="approve" value="true" variant="success" pending={choice === "true"}>
              Approve<span className="sr-only"> {request.user.name}</span>
            </Button>
            <Button type="submit" name="approve" value="false" variant="secondary" pending={choice === "false"}>
              Decline<span className="sr-only"> {request.user.name}</span>
            </Button>
          </div>
        </Form>
      </Card>
    </li>
  );
}

/** Requests to teach waiting for an admin, oldest first. */
export function RoleRequestList({ requests }: { requests: PendingRequest[] }) {
  if (requests.length === 0) {
    return <EmptyState title="No requests waiting">When a student asks to teach, their request shows here.</EmptyState>;
  }
  return (
    <ul className="space-y-3" data-testid="role-requests">
      {requests.map((request) => (
        <RequestCard key={request.id} request={request} />
      ))}
    </ul>
  );
}
