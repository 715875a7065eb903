import { describe, expect, it } from 'vitest';
import { buildCalendar, type CalendarInput } from './ics.js';

const base: CalendarInput = {
  method: 'REQUEST',
  events: [{ uid: 'RES1', start: Date.UTC(2026, 0, 17, 17), end: Date.UTC(2026, 0, 17, 18) }],
  sequence: 3,
  host: 'baton.example',
  summary: 'Plan; review, and "ship"',
  description: 'Line one\nLine two',
  location: 'Phone +1 555 0100, PIN 123456',
  organizer: { name: 'Acme "Events"', email: 'events@acme.example' },
  attendee: { name: 'Ann', email: 'ann@example.org' },
  now: Date.UTC(2026, 0, 15, 17),
};

describe('buildCalendar', () => {
  it('writes one VEVENT per reservation in UTC, with CRLF line ends and escaped text', () => {
    const ics = buildCalendar(base);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics.split('\r\n')).toEqual(
      expect.arrayContaining([
        'METHOD:REQUEST',
        'UID:RES1@baton.example',
        'DTSTAMP:20260115T170000Z',
        'DTSTART:20260117T170000Z',
        'DTEND:20260117T180000Z',
        'SEQUENCE:3',
        'STATUS:CONFIRMED',
        'SUMMARY:Plan\\; review\\, and "ship"',
        'DESCRIPTION:Line one\\nLine two',
        'ORGANIZER;CN="Acme Events":mailto:events@acme.example',
      ]),
    );
  });

  it('marks every event cancelled under METHOD:CANCEL', () => {
    const ics = buildCalendar({ ...base, method: 'CANCEL' });
    expect(ics).toContain('METHOD:CANCEL\r\n');
    expect(ics).toContain('STATUS:CANCELLED\r\n');
  });

  it('folds long lines at 75 octets without splitting a character', () => {
    const ics = buildCalendar({ ...base, summary: 'Ünïcødé '.repeat(30) });
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const unfolded = ics.replace(/\r\n /g, '');
    expect(unfolded).toContain(`SUMMARY:${'Ünïcødé '.repeat(30)}`);
  });
});
