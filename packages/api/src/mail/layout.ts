/**
 * The look of every mail: one plain-text and one HTML rendering of the same parts, so a template
 * says what the mail says once. The HTML is a single centred card with inline styles only (mail
 * clients drop <style> and classes), in the product's colours; every link is absolute.
 */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailParts {
  subject: string;
  /** The first line a mail client shows beside the subject. */
  preheader: string;
  heading: string;
  /** Plain-text paragraphs (escaped in the HTML). */
  paragraphs: string[];
  /** The one thing the mail asks the reader to do. */
  action?: { label: string; url: string };
  /** Small print after the action: why they got it, what to do if it was not them. */
  footnotes?: string[];
}

/** Where links in mails point: the public address (APP_URL) plus a path. */
export interface MailLinks {
  appUrl: string;
  to(path: string, query?: Record<string, string>): string;
}

export function mailLinks(appUrl: string): MailLinks {
  return {
    appUrl,
    to(path, query) {
      // Relative to APP_URL, which may have a path of its own (behind a proxy at /app).
      const url = new URL(path.replace(/^\/+/, ""), `${appUrl}/`);
      for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
      return url.toString();
    },
  };
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const BRAND = "#2563eb";
const INK = "#0f172a";
const MUTED = "#475569";
const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

export function renderMail(parts: MailParts, links: MailLinks): RenderedMail {
  const text = [
    parts.heading,
    "",
    ...parts.paragraphs.flatMap((paragraph) => [paragraph, ""]),
    ...(parts.action ? [`${parts.action.label}:`, parts.action.url, ""] : []),
    ...(parts.footnotes ?? []).flatMap((note) => [note, ""]),
    "—",
    `Livehall · ${links.appUrl}`,
  ].join("\n");

  // Long words (addresses, links) wrap, so the card fits a phone.
  const paragraph = (value: string, color = INK, size = 16) =>
    `<p style="margin:0 0 16px;font:${size}px/1.5 ${FONT};color:${color};overflow-wrap:anywhere;word-break:break-word">${escapeHtml(value)}</p>`;
  const action = parts.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(parts.action.url)}" style="display:inline-block;padding:12px 20px;border-radius:10px;background:${BRAND};color:#ffffff;font:600 16px/1.2 ${FONT};text-decoration:none">${escapeHtml(parts.action.label)}</a></p>` +
      paragraph(`Or open this address: ${parts.action.url}`, MUTED, 13)
    : "";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(parts.subject)}</title></head>
<body style="margin:0;padding:0;background:#f1f5f9">
<div style="display:none;max-height:0;overflow:hidden">${escapeHtml(parts.preheader)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f1f5f9"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;table-layout:fixed">
<tr><td style="padding:0 8px 16px;font:700 20px/1 ${FONT};color:${BRAND}">Livehall</td></tr>
<tr><td style="background:#ffffff;border:1px solid #e2e8f0;border-radius:16px;padding:24px">
<h1 style="margin:0 0 16px;font:700 22px/1.3 ${FONT};color:${INK}">${escapeHtml(parts.heading)}</h1>
${parts.paragraphs.map((value) => paragraph(value)).join("\n")}
${action}
${(parts.footnotes ?? []).map((value) => paragraph(value, MUTED, 14)).join("\n")}
</td></tr>
<tr><td style="padding:16px 8px;font:13px/1.5 ${FONT};color:${MUTED}"><a href="${escapeHtml(links.appUrl)}" style="color:${MUTED}">Livehall</a> · live classes</td></tr>
</table>
</td></tr></table>
</body></html>`;
  return { subject: parts.subject, text, html };
}
