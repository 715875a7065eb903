/**
 * A small MIME reader for tests: enough of RFC 2045/2047 to read what
 * nodemailer writes (multipart, quoted-printable, base64, encoded words), so
 * assertions look at the text a person would see.
 */

export interface MimePart {
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

export interface DecodedMail {
  headers: Record<string, string>;
  subject: string;
  to: string;
  text: string;
  html: string;
  /** Every text/calendar or .ics part, decoded. */
  calendars: string[];
  parts: MimePart[];
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes RFC 2047 encoded words in a header. */
export function decodeWords(text: string): string {
  return text
    .replace(/(=\?[^?]+\?[BQ]\?[^?]*\?=)\s+(?==\?)/gi, '$1')
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function split(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return { headers: parseHeaders(raw), body: '' };
  const gap = raw.slice(at).startsWith('\r\n\r\n') ? 4 : 2;
  return { headers: parseHeaders(raw.slice(0, at)), body: raw.slice(at + gap) };
}

function leaves(raw: string): MimePart[] {
  const { headers, body } = split(raw);
  const contentType = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (/^multipart\//i.test(contentType) && boundary) {
    const sections = body.split(`--${boundary}`).slice(1);
    return sections.filter((s) => !s.startsWith('--')).flatMap((s) => leaves(s.replace(/^\r?\n/, '')));
  }
  return [{ headers, contentType, body: decodeBody(headers, body) }];
}

/** Reads a raw RFC 5322 message. */
export function decodeMail(raw: string): DecodedMail {
  const { headers } = split(raw);
  const parts = leaves(raw);
  const find = (type: string) => parts.find((p) => p.contentType.toLowerCase().startsWith(type))?.body ?? '';
  return {
    headers,
    subject: decodeWords(headers.subject ?? ''),
    to: decodeWords(headers.to ?? ''),
    text: find('text/plain'),
    html: find('text/html'),
    calendars: parts
      .filter((p) => /^(text\/calendar|application\/ics)/i.test(p.contentType))
      // The invitation comes twice (text/calendar alternative and invite.ics): keep one of each.
      .map((p) => p.body.replace(/\r\n/g, '\n').trim())
      .filter((body, i, all) => all.indexOf(body) === i),
    parts,
  };
}
