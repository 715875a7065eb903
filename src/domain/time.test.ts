import { describe, expect, it } from 'vitest';
import { formatDateTime, isValidTimeZone, parseDateTimeInput, resolveDateTime } from './time.js';

describe('parseDateTimeInput', () => {
  it('reads the spec format yyyy.MM.dd HH:mm:ss as a wall time', () => {
    expect(parseDateTimeInput('2016.01.05 17:00:00')).toEqual({
      kind: 'local',
      year: 2016,
      month: 1,
      day: 5,
      hour: 17,
      minute: 0,
      second: 0,
    });
  });

  it('reads ISO 8601 with an offset as an instant', () => {
    expect(parseDateTimeInput('2016-01-05T17:00:00-08:00')).toEqual({ kind: 'instant', ms: Date.UTC(2016, 0, 6, 1) });
    expect(parseDateTimeInput('2016-01-06T01:00:00Z')).toEqual({ kind: 'instant', ms: Date.UTC(2016, 0, 6, 1) });
  });

  it('reads the ISO 8601 forms common libraries write: a space for T, microseconds, an offset of hours only', () => {
    const instant = { kind: 'instant', ms: Date.UTC(2016, 0, 6, 1) };
    // Python's str(datetime) and isoformat(), PostgreSQL's timestamptz text, RFC 3339 with a space.
    expect(parseDateTimeInput('2016-01-05 17:00:00-08:00')).toEqual(instant);
    expect(parseDateTimeInput('2016-01-06T01:00:00.000000+00:00')).toEqual(instant);
    expect(parseDateTimeInput('2016-01-05 17:00:00-08')).toEqual(instant);
    expect(parseDateTimeInput('2016-01-06T01:00:00.123456789Z')).toEqual({
      kind: 'instant',
      ms: Date.UTC(2016, 0, 6, 1) + 123,
    });
    expect(parseDateTimeInput('2016-01-06T01:00:00.1234567890Z')).toBeNull();
    expect(parseDateTimeInput('2016-01-06T01:00:00+1')).toBeNull();
  });

  it('reads an offset up to ±18:00 and no further (java.time.ZoneOffset’s range)', () => {
    expect(parseDateTimeInput('2016-01-06T19:00:00+18:00')).toEqual({ kind: 'instant', ms: Date.UTC(2016, 0, 6, 1) });
    expect(parseDateTimeInput('2016-01-05T07:00:00-18:00')).toEqual({ kind: 'instant', ms: Date.UTC(2016, 0, 6, 1) });
    for (const text of ['2016-01-06T19:00:00+18:01', '2016-01-06T19:00:00-18:30', '2016-01-06T19:00:00+1830']) {
      expect(parseDateTimeInput(text), text).toBeNull();
    }
  });

  it('reads ISO 8601 without an offset as a wall time', () => {
    expect(parseDateTimeInput('2016-01-05T17:00:00')).toMatchObject({ kind: 'local', hour: 17 });
  });

  it.each(['2016.02.30 10:00:00', '2016.13.01 10:00:00', '2016.01.01 24:00:00', 'tomorrow', ''])(
    'rejects %j',
    (text) => {
      expect(parseDateTimeInput(text)).toBeNull();
    },
  );
});

describe('resolveDateTime', () => {
  const local = (text: string) => parseDateTimeInput(text)!;

  it('reads a wall time in the given zone', () => {
    expect(resolveDateTime(local('2016.01.05 17:00:00'), 'America/Los_Angeles', 'startDate')).toBe(
      Date.UTC(2016, 0, 6, 1),
    );
  });

  it('refuses a wall time skipped by the spring change, naming the parameter', () => {
    expect(() => resolveDateTime(local('2026.03.08 02:30:00'), 'America/New_York', 'startDate1')).toThrow(
      /startDate1: 2026.03.08 02:30:00 does not exist in America\/New_York/,
    );
  });

  it('refuses a wall time repeated by the autumn change', () => {
    expect(() => resolveDateTime(local('2026.10.25 02:30:00'), 'Europe/Berlin', 'startDate')).toThrow(/happens twice/);
  });

  it('accepts the repeated hour when an offset says which', () => {
    const first = resolveDateTime(parseDateTimeInput('2026-10-25T02:30:00+02:00')!, 'Europe/Berlin', 'startDate');
    const second = resolveDateTime(parseDateTimeInput('2026-10-25T02:30:00+01:00')!, 'Europe/Berlin', 'startDate');
    expect(second - first).toBe(3_600_000);
  });
});

describe('formatDateTime', () => {
  it('writes the original service format in the zone', () => {
    expect(formatDateTime(Date.UTC(2016, 0, 6, 1), 'America/Los_Angeles')).toBe('Tue Jan 05 17:00:00 PST 2016');
    expect(formatDateTime(Date.UTC(2016, 6, 6, 1), 'America/Los_Angeles')).toBe('Tue Jul 05 18:00:00 PDT 2016');
    expect(formatDateTime(Date.UTC(2016, 0, 6, 1), 'UTC')).toBe('Wed Jan 06 01:00:00 UTC 2016');
  });

  it('names European zones by their abbreviation', () => {
    expect(formatDateTime(Date.UTC(2026, 0, 15, 12), 'Europe/Berlin')).toBe('Thu Jan 15 13:00:00 CET 2026');
    expect(formatDateTime(Date.UTC(2026, 6, 15, 12), 'Europe/Berlin')).toBe('Wed Jul 15 14:00:00 CEST 2026');
    expect(formatDateTime(Date.UTC(2026, 6, 15, 12), 'Europe/London')).toBe('Wed Jul 15 13:00:00 BST 2026');
  });

  it('never puts a space inside the zone, since clients split on spaces', () => {
    for (const zone of ['Asia/Kolkata', 'Australia/Sydney', 'Asia/Tokyo']) {
      expect(formatDateTime(Date.UTC(2026, 0, 15, 12), zone).split(' ')).toHaveLength(6);
    }
  });
});

describe('formatDateTime after the UTC year 9999', () => {
  it('names the zone as on any other day, where Intl gives up and writes GMT-05:00', () => {
    // 9999.12.31 23:59:59 in New York is already the year 10000 in UTC.
    const lastSecond = Date.UTC(10000, 0, 1, 4, 59, 59);
    expect(formatDateTime(lastSecond, 'America/New_York')).toBe('Fri Dec 31 23:59:59 EST 9999');
    expect(formatDateTime(lastSecond + 30 * 60_000, 'America/New_York')).toBe('Sat Jan 01 00:29:59 EST 10000');
    expect(formatDateTime(Date.UTC(10000, 6, 1, 12), 'America/New_York')).toBe('Sat Jul 01 08:00:00 EDT 10000');
    expect(formatDateTime(Date.UTC(10000, 0, 1, 0, 15), 'UTC')).toBe('Sat Jan 01 00:15:00 UTC 10000');
    expect(formatDateTime(Date.UTC(10000, 0, 1, 0, 15), 'Asia/Kolkata')).toBe('Sat Jan 01 05:45:00 IST 10000');
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
