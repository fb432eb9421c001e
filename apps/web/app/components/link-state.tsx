import { isLinkToken } from "@livehall/api/limits";
import type { ReactNode } from "react";
import { AuthLayout, linkClasses } from "./auth-form";
import { Alert, ButtonLink } from "./ui";
import { Link } from "@remix-run/react";

/** What a mailed link can be when it is opened (auth.linkState). */
export type LinkState = "valid" | "used" | "expired" | "invalid";

/**
 * The page a mailed link shows when it cannot be used: what happened, in plain words, and the one
 * thing to do next (`action`: ask for a new link, sign in…).
 */
export function LinkProblemPage({
  state,
  what,
  action,
  usedText,
}: {
  state: Exclude<LinkState, "valid">;
  /** "reset link", "confirmation link"… */
  what: string;
  action: { label: string; to: string };
  /** What "used" means for this link (e.g. "Your address is already confirmed."). */
  usedText: string;
}) {
  const copy: Record<typeof state, { title: string; text: ReactNode }> = {
    used: { title: "This link was already used", text: `Each ${what} works once. ${usedText}` },
    expired: {
      title: "This link has expired",
      text: `For your safety a ${what} works for a limited time. Ask for a new one.`,
    },
    invalid: {
      title: "This link doesn't work",
      text: `It may be incomplete: some mail apps cut long links. Open the whole link from the mail, or ask for a new ${what}.`,
    },
  };
  return (
    <AuthLayout
      title={copy[state].title}
      subtitle={`About your ${what}`}
      footer={
        <>
          Need help?{" "}
          <Link to="/login" className={linkClasses}>
            Go to sign in
          </Link>
        </>
      }
    >
      <Alert tone={state === "used" ? "info" : "warning"}>
        <p data-testid="link-state">{copy[state].text}</p>
      </Alert>
      <ButtonLink to={action.to} className="mt-6 w-full">
        {action.label}
      </ButtonLink>
    </AuthLayout>
  );
}

/** The link's token from the page's address, or null when it is missing or malformed (no call needed). */
export function tokenFrom(request: Request): string | null {
  const token = new URL(request.url).searchParams.get("token");
  return token && isLinkToken(token) ? token : null;
}

/** The LINK_* reasons as the state of the page to show, or null for any other error. */
export function linkStateOfReason(reason: string | undefined): Exclude<LinkState, "valid"> | null {
  if (reason === "LINK_USED") return "used";
  if (reason === "LINK_EXPIRED") return "expired";
  if (reason === "LINK_INVALID") return "invalid";
  return null;
}
