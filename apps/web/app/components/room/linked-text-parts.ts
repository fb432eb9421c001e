/** http(s) addresses in chat text; anything else stays text. */
const URL = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/gi;

/** Splits plain text into text and the http(s) links in it. */
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
