import { Fragment } from "react";
import { linkParts } from "./linked-text-parts";

/**
 * A chat message's text as React text nodes, with its http(s) addresses as links that open in a new
 * tab without access to this page (`noopener noreferrer`, `nofollow`). No HTML from the text is ever
 * rendered: React escapes every part.
 */
export function LinkifiedText({ text }: { text: string }) {
  return (
    <>
      {linkParts(text).map((part, index) =>
        part.href ? (
          <a
            key={index}
            href={part.href}
            target="_blank"
            rel="noopener noreferrer nofollow"
            className="font-medium break-all text-brand-700 underline underline-offset-2 hover:text-brand-800"
          >
            {part.text}
          </a>
        ) : (
          <Fragment key={index}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
