/** How the site writes times and durations: in the customer's time zone, short. */
import { zoneAbbreviation } from '../../domain/time.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "Jan 15, 2026, 5:00:00 PM CET" in `timeZone` (the zone named as the API names it); '' for null. */
export function formatWhen(ms: number | null, timeZone: string): string {
  if (ms === null) return '';
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return `${f.format(ms)} ${zoneAbbreviation(ms, timeZone)}`;
}

/** "1 h 05 min", "3 min 20 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

const localParts = new Map<string, Intl.DateTimeFormat>();

/** The value of an `<input type="datetime-local">` for `ms` in `timeZone` ("2026-01-15T17:00"). */
export function toLocalInput(ms: number | null, timeZone: string): string {
  if (ms === null) return '';
  let f = localParts.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    localParts.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** An `<input type="datetime-local">` value as the API's `yyyy.MM.dd HH:mm:ss`; other text is passed on as typed. */
export function fromLocalInput(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return text.trim();
  return `${m[1]}.${m[2]}.${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}
