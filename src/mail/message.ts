/** A rendered email, as the queue stores it and the transport sends it. */
import { escapeHtml } from '../web/escape.js';

/** An iCalendar part. */
export interface CalendarPart {
  method: 'REQUEST' | 'CANCEL';
  content: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The invitation: sent as a text/calendar alternative (calendar clients act on it) and as invite.ics. */
  calendar?: CalendarPart;
  /** Further calendars as attachments (e.g. METHOD:CANCEL for reservations that were removed). */
  attachments?: (CalendarPart & { filename: string })[];
}

/** What an email says, before it is written out as text and HTML. */
export interface MailBody {
  greeting: string;
  paragraphs: string[];
  /** Label → value, shown as a small table. */
  facts: [string, string][];
  /** Heading and lines of the schedule; omitted when empty. */
  schedule?: { heading: string; lines: string[] };
  footer?: string;
}

/** Writes a body as plain text and as (escaped) HTML. */
export function renderBody(body: MailBody): { text: string; html: string } {
  const text: string[] = [body.greeting, ''];
  for (const p of body.paragraphs) text.push(p, '');
  if (body.schedule && body.schedule.lines.length > 0) {
    text.push(`${body.schedule.heading}:`);
    for (const line of body.schedule.lines) text.push(`  - ${line}`);
    text.push('');
  }
  // Each fact on its own short line, so a PIN is never split by line wrapping.
  for (const [label, value] of body.facts) text.push(`${label}: ${value}`);
  if (body.footer) text.push('', body.footer);

  const e = escapeHtml;
  const html: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"></head>',
    '<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;line-height:1.5;color:#1a1a1a">',
    `<p>${e(body.greeting)}</p>`,
  ];
  for (const p of body.paragraphs) html.push(`<p>${e(p)}</p>`);
  if (body.schedule && body.schedule.lines.length > 0) {
    html.push(`<h2 style="font-size:1.05em">${e(body.schedule.heading)}</h2><ul>`);
    for (const line of body.schedule.lines) html.push(`<li>${e(line)}</li>`);
    html.push('</ul>');
  }
  if (body.facts.length > 0) {
    html.push('<table role="presentation" style="border-collapse:collapse">');
    for (const [label, value] of body.facts) {
      html.push(
        `<tr><th scope="row" style="text-align:left;padding:2px 12px 2px 0">${e(label)}</th>` +
          `<td style="padding:2px 0"><strong>${e(value)}</strong></td></tr>`,
      );
    }
    html.push('</table>');
  }
  if (body.footer) html.push(`<p style="color:#555">${e(body.footer)}</p>`);
  html.push('</body></html>');
  return { text: text.join('\n') + '\n', html: html.join('\n') };
}

/** The address part of MAIL_FROM ("Baton <baton@example.org>" → "baton@example.org"). */
export function addressOf(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();
}

/** The display-name part of MAIL_FROM, or the address. */
export function displayNameOf(from: string): string {
  const name = /^\s*"?([^"<]*?)"?\s*</.exec(from)?.[1]?.trim();
  return name || addressOf(from);
}
