import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Fragment } from "react";
import { Backdrop } from "../components/backdrop";
import { AreaErrorBoundary } from "../components/forbidden";
import { orPageError, requireArea } from "../components/forbidden.server";
import { AbsoluteTime } from "../components/sessions/session-time";
import { Card, EmptyState, buttonClasses, cn } from "../components/ui";
import { EyebrowPill, PageHeader } from "../components/ui/page-header";

export const meta: MetaFunction = () => [{ title: "Mail outbox · Livehall" }];

/**
 * /dev/mail — the local outbox (docs/decisions/021): mail kept on this machine because no SMTP_URL
 * is set. Admins only, and only in development and demo mode (elsewhere the procedure answers 404).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireArea(request, context, "admin");
  const outbox = await orPageError("admin", context.caller.mail.outbox(), "There is no such page.");
  const wanted = new URL(request.url).searchParams.get("id");
  const selected = outbox.mails.find((mail) => mail.id === wanted) ?? outbox.mails[0] ?? null;
  if (wanted && selected?.id !== wanted) throw redirect("/dev/mail");
  return { mode: outbox.mode, mails: outbox.mails, selected };
}

/** The text version with its addresses as links (the mail's own links are absolute). */
function LinkifiedText({ text }: { text: string }) {
  return (
    <>
      {text.split(/(https?:\/\/\S+)/).map((part, index) =>
        index % 2 === 1 ? (
          <a key={index} href={part} className="break-all text-brand-700 underline">
            {part}
          </a>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </>
  );
}

export default function DevMail() {
  const { mode, mails, selected } = useLoaderData<typeof loader>();
  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-6xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14">
        <PageHeader
          eyebrow={<EyebrowPill>Development</EyebrowPill>}
          title="Mail outbox"
          description={
            mode === "outbox"
              ? "No SMTP_URL is set, so mail is kept here instead of being sent. Newest first."
              : "SMTP_URL is set: new mail goes to the mail server. Mail kept here earlier is listed below."
          }
        />
        {mails.length === 0 ? (
          <EmptyState className="mt-8" title="No mail yet">
            Sign-up confirmations, password resets and invitations appear here.
          </EmptyState>
        ) : (
          <div className="mt-8 grid grid-cols-1 gap-6 lg:grid-cols-[20rem_1fr]">
            <Card as="section" aria-label="Mails" className="min-w-0 p-2">
              <ul className="divide-y divide-slate-200/70" data-testid="outbox-list">
                {mails.map((mail) => (
                  <li key={mail.id}>
                    <Link
                      to={`/dev/mail?id=${mail.id}`}
                      aria-current={mail.id === selected?.id ? "true" : undefined}
                      className={cn(
                        "block rounded-control px-3 py-2.5 hover:bg-slate-900/5",
                        mail.id === selected?.id && "bg-brand-50",
                      )}
                    >
                      <span className="block truncate text-sm font-semibold text-slate-900">{mail.subject}</span>
                      <span className="block truncate text-xs text-slate-600">
                        To {mail.to} · <AbsoluteTime date={new Date(mail.createdAt)} />
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            </Card>
            {selected ? (
              <Card
                as="article"
                aria-labelledby="mail-subject"
                className="min-w-0 p-5 sm:p-6"
                data-testid="outbox-mail"
              >
                <h2 id="mail-subject" className="text-lg font-semibold break-words text-slate-900">
                  {selected.subject}
                </h2>
                <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm text-slate-700">
                  <dt className="font-medium">From</dt>
                  <dd className="break-all">{selected.from}</dd>
                  <dt className="font-medium">To</dt>
                  <dd className="break-all">{selected.to}</dd>
                  <dt className="font-medium">Kept</dt>
                  <dd>
                    <AbsoluteTime date={new Date(selected.createdAt)} /> ({selected.template})
                  </dd>
                </dl>
                <p className="mt-4">
                  <a
                    href={`/dev/mail/html?id=${selected.id}`}
                    target="_blank"
                    rel="noreferrer"
                    className={buttonClasses({ variant: "secondary", size: "sm" })}
                  >
                    Open the HTML version
                  </a>
                </p>
                <h3 className="mt-6 text-sm font-semibold text-slate-900">Plain text</h3>
                <pre
                  className="mt-2 overflow-x-auto rounded-control bg-white/70 p-4 text-sm whitespace-pre-wrap text-slate-800"
                  data-testid="outbox-text"
                >
                  <LinkifiedText text={selected.text} />
                </pre>
              </Card>
            ) : null}
          </div>
        )}
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <AreaErrorBoundary area="admin" />;
}
