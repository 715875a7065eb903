/**
 * DateTime on the wire (DESIGN.md):
 * - input `yyyy.MM.dd HH:mm:ss` in the customer's time zone, or ISO 8601 with an offset;
 * - output the original service's `EEE MMM dd HH:mm:ss zzz yyyy`
 *   (`Tue Jan 05 17:00:00 PST 2016`) in the customer's time zone;
 * - a local time that does not exist or is ambiguous at a DST change is a
 *   parameter error, never a silent guess.
 * Instants are milliseconds since the epoch everywhere inside Baton.
 */
import { ParameterError } from '../errors.js';
import { javaZoneName } from './java-zone-names.js';

/** A wall-clock time with no zone yet, as a client wrote it. */
export interface LocalDateTime {
  readonly kind: 'local';
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** An absolute instant, when the client gave an offset. */
export interface InstantInput {
  readonly kind: 'instant';
  readonly ms: number;
}

export type DateTimeInput = LocalDateTime | InstantInput;

const localPattern = /^(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
// ISO 8601 / RFC 3339 as libraries write it: `T` or a space (Python's str(datetime), PostgreSQL), a
// fraction of up to nanoseconds (isoformat() writes microseconds; kept to the millisecond), an offset of
// hours only (`-08`) or with minutes.
const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Parses a DateTime parameter. Returns null when the text is not a date at all,
 * so the caller can name the parameter in its message.
 */
export function parseDateTimeInput(text: string): DateTimeInput | null {
  const trimmed = text.trim();
  const local = localPattern.exec(trimmed);
  if (local) {
    const [, y, mo, d, h, mi, s] = local;
    const value: LocalDateTime = {
      kind: 'local',
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h),
      minute: Number(mi),
      second: s === undefined ? 0 : Number(s),
    };
    return isValidWallTime(value) ? value : null;
  }
  const iso = isoPattern.exec(trimmed);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, zone] = iso;
    const wall: LocalDateTime = {
      kind: 'local',
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h),
      minute: Number(mi),
      second: s === undefined ? 0 : Number(s),
    };
    if (!isValidWallTime(wall)) return null;
    let offsetMinutes = 0;
    if (zone && zone.toUpperCase() !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      const oh = Number(digits.slice(0, 2));
      const om = Number(digits.slice(2));
      // ±18:00 at most, as java.time.ZoneOffset (the original's runtime) allows: +18:30 is no offset.
      if (om > 59 || oh * 60 + om > 18 * 60) return null;
      offsetMinutes = sign * (oh * 60 + om);
    }
    const ms = wallAsUtc(wall) + Number((frac ?? '0').slice(0, 3).padEnd(3, '0')) - offsetMinutes * 60_000;
    return { kind: 'instant', ms };
  }
  return null;
}

function isValidWallTime(t: LocalDateTime): boolean {
  if (t.year < 1900 || t.year > 9999) return false;
  if (t.month < 1 || t.month > 12 || t.day < 1) return false;
  if (t.day > new Date(Date.UTC(t.year, t.month, 0)).getUTCDate()) return false;
  return t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

function wallAsUtc(t: LocalDateTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

const wallFormatters = new Map<string, Intl.DateTimeFormat>();

function wallFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = wallFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallFormatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading of `ms` in `timeZone`, as if that reading were UTC. */
function wallClockAsUtc(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of wallFormatter(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** The zone's offset from UTC at instant `ms`, in milliseconds. */
export function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockAsUtc(whole, timeZone) - whole;
}

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * IANA's current names of zones whose ICU canonical ID is an older name
 * (ICU resolves `Asia/Kolkata` to `Asia/Calcutta`): typed in any case, these
 * are kept as IANA writes them today rather than replaced by the old name.
 */
const currentZoneNames = new Map(
  [
    'Africa/Asmara',
    'America/Argentina/Buenos_Aires',
    'America/Argentina/Catamarca',
    'America/Argentina/Cordoba',
    'America/Argentina/Jujuy',
    'America/Argentina/Mendoza',
    'America/Atikokan',
    'America/Indiana/Indianapolis',
    'America/Kentucky/Louisville',
    'America/Nuuk',
    'Asia/Ho_Chi_Minh',
    'Asia/Kathmandu',
    'Asia/Kolkata',
    'Asia/Yangon',
    'Atlantic/Faroe',
    'Europe/Kyiv',
    'Pacific/Chuuk',
    'Pacific/Kanton',
    'Pacific/Pohnpei',
  ].map((name) => [name.toLowerCase(), name]),
);

const canonicalZones = new Map<string, string | null>();

/**
 * The name a time zone is stored and shown under, or null when `text` names
 * no zone. Zone names match in any case (as the runtime reads them), so one
 * spelling is kept: `europe/paris` is `Europe/Paris`, `utc` is `UTC`; an
 * IANA name keeps its current spelling (`Asia/Kolkata`), and a legacy alias
 * becomes the zone it stands for (`US/Eastern` is `America/New_York`).
 */
export function canonicalTimeZone(text: string): string | null {
  const typed = text.trim();
  let name = canonicalZones.get(typed);
  if (name !== undefined) return name;
  name = null;
  if (isValidTimeZone(typed)) {
    const lower = typed.toLowerCase();
    name =
      currentZoneNames.get(lower) ?? new Intl.DateTimeFormat('en-US', { timeZone: typed }).resolvedOptions().timeZone;
  }
  // Bounded: a client can make this see any number of distinct strings.
  if (canonicalZones.size < 10_000) canonicalZones.set(typed, name);
  return name;
}

let zoneChoices: readonly string[] | undefined;

/**
 * The zones a customer picks from on the site, each under the name
 * canonicalTimeZone stores (IANA's current one: `Asia/Kolkata`, not the
 * runtime's list's `Asia/Calcutta`), UTC first, then by name. A form showing
 * the runtime's names would find no option for a stored current name and
 * send its first option instead.
 */
export function timeZoneChoices(): readonly string[] {
  if (zoneChoices) return zoneChoices;
  const currentOf = new Map<string, string>();
  for (const current of currentZoneNames.values()) {
    if (isValidTimeZone(current)) {
      currentOf.set(new Intl.DateTimeFormat('en-US', { timeZone: current }).resolvedOptions().timeZone, current);
    }
  }
  const names = new Set<string>();
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    const name = currentOf.get(zone) ?? canonicalTimeZone(zone);
    if (name !== null && name !== 'UTC') names.add(name);
  }
  zoneChoices = ['UTC', ...[...names].sort()];
  return zoneChoices;
}

/**
 * The instant a DateTime parameter names, reading local times in `timeZone`.
 * Throws a ParameterError naming `param` when the wall time does not exist
 * (spring forward) or exists twice (fall back) in that zone.
 */
export function resolveDateTime(input: DateTimeInput, timeZone: string, param: string): number {
  if (input.kind === 'instant') return input.ms;
  const wall = wallAsUtc(input);
  const candidates = new Set<number>();
  for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) {
    const offset = offsetAt(probe, timeZone);
    const ms = wall - offset;
    if (wallClockAsUtc(ms, timeZone) === wall) candidates.add(ms);
  }
  const found = [...candidates].sort((a, b) => a - b);
  const shown = formatWall(input);
  if (found.length === 0) {
    throw new ParameterError(
      `${param}: ${shown} does not exist in ${timeZone} (the clocks skip it at a daylight-saving change)`,
    );
  }
  if (found.length > 1) {
    const iso = shown.replace(/\./g, '-').replace(' ', 'T');
    const withOffsets = found.map((ms) => `${iso}${formatOffset(offsetAt(ms, timeZone))}`).join(' or ');
    throw new ParameterError(
      `${param}: ${shown} happens twice in ${timeZone} (the clocks repeat it at a daylight-saving change); ` +
        `send it with an offset: ${withOffsets}`,
    );
  }
  return found[0]!;
}

/** An offset in milliseconds as ISO 8601 writes it: +02:00, -05:00. */
function formatOffset(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${ms < 0 ? '-' : '+'}${p(Math.floor(minutes / 60))}:${p(minutes % 60)}`;
}

function formatWall(t: LocalDateTime): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.year}.${p(t.month)}.${p(t.day)} ${p(t.hour)}:${p(t.minute)}:${p(t.second)}`;
}

const outputFormatters = new Map<string, Intl.DateTimeFormat>();

function outputFormatter(locale: 'en-US' | 'en-GB', timeZone: string): Intl.DateTimeFormat {
  const cacheKey = `${locale} ${timeZone}`;
  let f = outputFormatters.get(cacheKey);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    outputFormatters.set(cacheKey, f);
  }
  return f;
}

function formatParts(locale: 'en-US' | 'en-GB', ms: number, timeZone: string): Record<string, string> {
  const p: Record<string, string> = {};
  for (const part of outputFormatter(locale, timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') p[part.type] = part.value;
  }
  return p;
}

const numericZone = /^(GMT|UTC)[+-]/;

/**
 * Formats an instant as `EEE MMM dd HH:mm:ss zzz yyyy` in `timeZone`.
 * en-US names American zones (PST, EDT) but writes "GMT+1" for Berlin and for
 * London in summer, where en-GB writes CET and BST: the zone is taken from
 * en-GB when en-US has no name for it, and from Java's names (IST, JST,
 * AEST…) when neither has, else written `GMT+hh:mm` as Java does.
 */
export function formatDateTime(ms: number, timeZone: string): string {
  // The output has a resolution of one second and depends on nothing but the
  // second and the zone, so it is memoized: formatToParts costs about 8 µs a
  // date, and a list of 50 conferences shows the same few hundred dates on
  // every request.
  const second = Math.floor(ms / 1000);
  let memo = formatted.get(timeZone);
  if (memo === undefined) {
    if (formatted.size >= memoZones) formatted.clear();
    memo = new Map();
    formatted.set(timeZone, memo);
  }
  let text = memo.get(second);
  if (text === undefined) {
    text = formatUncached(second * 1000, timeZone);
    if (memo.size >= memoSecondsPerZone) memo.clear();
    memo.set(second, text);
  }
  return text;
}

/** formatDateTime's answers by zone, then by second since the epoch; bounded (cleared when full). */
const formatted = new Map<string, Map<number, string>>();
const memoZones = 500;
const memoSecondsPerZone = 20_000;

/** 400 Gregorian years, in ms: the calendar (leap years, weekdays) repeats after exactly this long. */
const gregorianCycle = 146_097 * 86_400_000;
/** The first instant of the UTC year 10000, past which Intl names no zone (it writes GMT-05:00 for EST). */
const yearTenThousand = Date.UTC(10000, 0, 1);

function formatUncached(ms: number, timeZone: string): string {
  if (ms >= yearTenThousand) {
    // A reservation may start on 9999.12.31 and so end, or even start (west of UTC), in the UTC year
    // 10000: write the same instant 400 years earlier — same weekday, date and zone rules — and add
    // the 400 years back to its year.
    const cycles = Math.ceil((ms - yearTenThousand + 1) / gregorianCycle);
    const earlier = formatUncached(ms - cycles * gregorianCycle, timeZone);
    const year = earlier.slice(earlier.lastIndexOf(' ') + 1);
    return `${earlier.slice(0, earlier.lastIndexOf(' '))} ${Number(year) + cycles * 400}`;
  }
  const p = formatParts('en-US', ms, timeZone);
  return `${p.weekday} ${p.month} ${p.day} ${p.hour}:${p.minute}:${p.second} ${zoneNameFrom(p, ms, timeZone)} ${p.year}`;
}

function zoneNameFrom(usParts: Record<string, string>, ms: number, timeZone: string): string {
  let zone = usParts.timeZoneName ?? 'UTC';
  if (numericZone.test(zone)) {
    const gb = formatParts('en-GB', ms, timeZone).timeZoneName ?? zone;
    zone = numericZone.test(gb) ? javaZoneName(ms, timeZone) : gb;
  }
  return zone.replace(/\s+/g, '');
}

/**
 * The zone's short name at instant `ms` (CET, BST, EST, IST, GMT+05:45), as the
 * API's dates write it: the one presentation rule for every surface that shows
 * a time with its zone (the site, the registration page, mail), so a person
 * never reads "GMT+1" on a page for what the API calls CET.
 */
export function zoneAbbreviation(ms: number, timeZone: string): string {
  if (ms >= yearTenThousand) {
    return zoneAbbreviation(ms - Math.ceil((ms - yearTenThousand + 1) / gregorianCycle) * gregorianCycle, timeZone);
  }
  return zoneNameFrom(formatParts('en-US', ms, timeZone), ms, timeZone);
}

/** Like formatDateTime, but null stays null. */
export function formatOptionalDateTime(ms: number | null, timeZone: string): string | null {
  return ms === null ? null : formatDateTime(ms, timeZone);
}
