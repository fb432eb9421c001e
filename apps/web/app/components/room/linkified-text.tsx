import { Fragment } from "react";

/** http(s) addresses in chat text; anything else stays text. */
const URL = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/gi;

/** Splits plain text into text and the http(s) links in it (exported for tests). */
export function linkParts(text: string): { text: string; href: string | null }[] {
  const parts: { text: string; href: string | null }[] = [];
  let last = 0;
  for (const match of text.matchAll(URL)) {
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start), href: null });
    let href: string | null = null;
    try {
      const url = new globalThis.URL(match[0]);
      if (url.protocol === "http:" || url.protocol === "https:") href = url.href;
    } catch {
      href = null;
    }
    parts.push({ text: match[0], href });
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), href: null });
  return parts;
}

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
