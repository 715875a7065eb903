/**
 * A conference's schedule as people read it (registration page, email,
 * calendar): its timed reservations, written out in the customer's time zone.
 */
import { zoneAbbreviation } from './time.js';

/** A reservation with times: what an invitation or a reminder is about. */
export interface TimedSlot {
  uid: string;
  start: number;
  end: number;
}

/** The timed reservations, earliest first (a reservationless conference has none). */
export function timedSlots(
  reservations: readonly { uid: string; start_at: number | null; end_at: number | null }[],
): TimedSlot[] {
  return reservations
    .filter((r): r is { uid: string; start_at: number; end_at: number } => r.start_at !== null && r.end_at !== null)
    .map((r) => ({ uid: r.uid, start: r.start_at, end: r.end_at }))
    .sort((a, b) => a.start - b.start || a.uid.localeCompare(b.uid));
}

/** The slots that have not ended at `now`. */
export function upcomingSlots(slots: readonly TimedSlot[], now: number): TimedSlot[] {
  return slots.filter((s) => s.end > now);
}

const formatters = new Map<string, { date: Intl.DateTimeFormat; time: Intl.DateTimeFormat }>();

function formattersFor(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = {
      date: new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'long',
        year: 'numeric',
        month: 'long',
        day: 'numeric',
      }),
      time: new Intl.DateTimeFormat('en-US', {
        timeZone,
        hour: 'numeric',
        minute: '2-digit',
      }),
    };
    formatters.set(timeZone, f);
  }
  return f;
}

/** "Thursday, January 15, 2026, 12:00 PM EST – 1:00 PM EST" in `timeZone`. */
export function describeSlot(slot: { start: number; end: number }, timeZone: string): string {
  const f = formattersFor(timeZone);
  // The zone as the API's dates name it (CET, not en-US's "GMT+1").
  const time = (ms: number) => `${f.time.format(ms)} ${zoneAbbreviation(ms, timeZone)}`;
  const startDate = f.date.format(slot.start);
  const endDate = f.date.format(slot.end);
  const start = `${startDate}, ${time(slot.start)}`;
  const end = endDate === startDate ? time(slot.end) : `${endDate}, ${time(slot.end)}`;
  return `${start} – ${end}`;
}

/** A stable text of a schedule, to tell whether it changed since it was last sent. */
export function scheduleKey(slots: readonly TimedSlot[]): string {
  return JSON.stringify(slots.map((s) => ({ uid: s.uid, start: s.start, end: s.end })));
}

/** Reads back what scheduleKey wrote; an unreadable text is an empty schedule. */
export function parseScheduleKey(text: string): TimedSlot[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (s): s is TimedSlot =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as TimedSlot).uid === 'string' &&
        typeof (s as TimedSlot).start === 'number' &&
        typeof (s as TimedSlot).end === 'number',
    );
  } catch {
    return [];
  }
}
