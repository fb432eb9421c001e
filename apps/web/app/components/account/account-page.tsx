import type { ReactNode } from "react";
import { Backdrop } from "../backdrop";
import { EyebrowPill, PageHeader } from "../ui/page-header";

/** The frame of the account pages: a narrow column under the "Your account" header, its parts spaced below. */
export function AccountPage({
  title,
  description,
  children,
}: {
  title: string;
  description: string;
  children: ReactNode;
}) {
  return (
    <div className="relative isolate">
      <Backdrop />
      <div className="mx-auto max-w-2xl px-4 pt-10 pb-16 sm:px-6 sm:pt-14">
        <PageHeader eyebrow={<EyebrowPill>Your account</EyebrowPill>} title={title} description={description} />
        <div className="mt-8 space-y-6">{children}</div>
      </div>
    </div>
  );
}
