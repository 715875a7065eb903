/**
 * iCalendar (RFC 5545) invitations: one VEVENT per reservation, times in UTC
 * (no VTIMEZONE needed), lines folded at 75 octets and ended with CRLF.
 * An update repeats every event with a higher SEQUENCE; a cancellation sends
 * METHOD:CANCEL with STATUS:CANCELLED for the events it withdraws.
 */

/** One event as sent to a person: a reservation's identity and window. */
export interface CalendarEvent {
  /** The reservation UID; the iCalendar UID is built from it. */
  uid: string;
  start: number;
  end: number;
}

export interface CalendarInput {
  method: 'REQUEST' | 'CANCEL';
  events: readonly CalendarEvent[];
  sequence: number;
  /** Host name for the event UIDs (from PUBLIC_URL). */
  host: string;
  summary: string;
  description: string;
  location: string;
  organizer: { name: string; email: string };
  attendee: { name: string; email: string };
  /** DTSTAMP: when this message was made. */
  now: number;
}

/** Builds a VCALENDAR text for `input`. */
export function buildCalendar(input: CalendarInput): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Baton//Conference invitation//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${input.method}`,
  ];
  for (const event of input.events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${event.uid}@${input.host}`,
      `DTSTAMP:${icsTime(input.now)}`,
      `DTSTART:${icsTime(event.start)}`,
      `DTEND:${icsTime(event.end)}`,
      `SEQUENCE:${input.sequence}`,
      `STATUS:${input.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
      `SUMMARY:${escapeText(input.summary)}`,
      `DESCRIPTION:${escapeText(input.description)}`,
      `LOCATION:${escapeText(input.location)}`,
      `ORGANIZER;CN=${quoteParam(input.organizer.name)}:mailto:${input.organizer.email}`,
      `ATTENDEE;CN=${quoteParam(input.attendee.name || input.attendee.email)};ROLE=REQ-PARTICIPANT;` +
        `PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:${input.attendee.email}`,
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}

/** `20260115T170000Z`. */
function icsTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** TEXT values escape backslash, semicolon, comma and newlines (RFC 5545 3.3.11). */
function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r?\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/** A parameter value in double quotes; DQUOTE itself cannot appear in one. */
function quoteParam(text: string): string {
  return `"${text.replace(/["\u0000-\u001f\u007f]/g, '')}"`;
}

/** Folds a content line into 75-octet pieces, never splitting a UTF-8 character. */
function fold(line: string): string {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes <= 75) return line;
  const pieces: string[] = [];
  let current = '';
  let size = 0;
  for (const char of line) {
    const n = Buffer.byteLength(char, 'utf8');
    // Continuation lines begin with a space, which counts toward their 75 octets.
    const limit = pieces.length === 0 ? 75 : 74;
    if (size + n > limit) {
      pieces.push(current);
      current = '';
      size = 0;
    }
    current += char;
    size += n;
  }
  pieces.push(current);
  return pieces.join('\r\n ');
}

/** The host part of a URL, for event UIDs. */
export function calendarHost(publicUrl: string): string {
  try {
    return new URL(publicUrl).hostname || 'baton';
  } catch {
    return 'baton';
  }
}
