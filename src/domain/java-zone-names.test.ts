import { describe, expect, it } from 'vitest';
import { gmtOffsetName, javaZoneName, javaZoneNames } from './java-zone-names.js';
import { formatDateTime } from './time.js';

const january = Date.UTC(2026, 0, 15, 12);
const july = Date.UTC(2026, 6, 15, 12);
const zoneOf = (ms: number, timeZone: string) => formatDateTime(ms, timeZone).split(' ')[4];

describe("Java's zone names where Intl only has numbers", () => {
  it('prints Asia/Kolkata (and its alias Asia/Calcutta) as IST', () => {
    expect(formatDateTime(january, 'Asia/Kolkata')).toBe('Thu Jan 15 17:30:00 IST 2026');
    expect(zoneOf(january, 'Asia/Calcutta')).toBe('IST');
  });

  it('names the zones real clients of the original met', () => {
    expect(zoneOf(january, 'Asia/Tokyo')).toBe('JST');
    expect(zoneOf(january, 'Asia/Seoul')).toBe('KST');
    expect(zoneOf(january, 'Asia/Shanghai')).toBe('CST');
    expect(zoneOf(january, 'Asia/Singapore')).toBe('SGT');
    expect(zoneOf(january, 'America/Sao_Paulo')).toBe('BRT');
    expect(zoneOf(january, 'America/Argentina/Buenos_Aires')).toBe('ART');
    expect(zoneOf(january, 'Africa/Johannesburg')).toBe('SAST');
    expect(zoneOf(january, 'Europe/Moscow')).toBe('MSK');
    expect(zoneOf(january, 'Asia/Kathmandu')).toBe('NPT');
    expect(zoneOf(january, 'Asia/Ho_Chi_Minh')).toBe('ICT');
  });

  it('tells standard from daylight time, in either hemisphere', () => {
    expect(zoneOf(january, 'Australia/Sydney')).toBe('AEDT');
    expect(zoneOf(july, 'Australia/Sydney')).toBe('AEST');
    expect(zoneOf(january, 'Australia/Brisbane')).toBe('AEST');
    expect(zoneOf(january, 'Australia/Adelaide')).toBe('ACDT');
    expect(zoneOf(january, 'Pacific/Auckland')).toBe('NZDT');
    expect(zoneOf(july, 'Pacific/Auckland')).toBe('NZST');
    expect(zoneOf(july, 'Asia/Jerusalem')).toBe('IDT');
    expect(zoneOf(january, 'Asia/Jerusalem')).toBe('IST');
    expect(zoneOf(july, 'America/Santiago')).toBe('CLT');
    expect(zoneOf(january, 'America/Santiago')).toBe('CLST');
    expect(zoneOf(july, 'Europe/Dublin')).toBe('IST');
    expect(zoneOf(january, 'Europe/Dublin')).toBe('GMT');
  });

  it('falls back to GMT+hh:mm for a zone it cannot name', () => {
    expect(zoneOf(january, 'Etc/GMT-14')).toBe('GMT+14:00');
    expect(zoneOf(january, 'Etc/GMT+3')).toBe('GMT-03:00');
    expect(gmtOffsetName(330)).toBe('GMT+05:30');
    expect(gmtOffsetName(-570)).toBe('GMT-09:30');
    expect(gmtOffsetName(0)).toBe('GMT');
  });

  it('has only entries for zones Intl leaves numeric (so none overrides a real name)', () => {
    const numeric = /^(GMT|UTC)[+-]/;
    const short = (locale: string, ms: number, timeZone: string) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
        .formatToParts(ms)
        .find((p) => p.type === 'timeZoneName')!.value;
    for (const zone of Object.keys(javaZoneNames)) {
      const unnamed = [january, july].some(
        (ms) => numeric.test(short('en-US', ms, zone)) && numeric.test(short('en-GB', ms, zone)),
      );
      expect(unnamed, zone).toBe(true);
    }
  });

  it('prints every IANA zone as one word: letters, or GMT±hh:mm', () => {
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      for (const ms of [january, july]) {
        const name = zoneOf(ms, zone)!;
        expect(name, zone).toMatch(/^([A-Za-z]{2,6}|GMT[+-]\d{2}:\d{2})$/);
        expect(javaZoneName(ms, zone)).toMatch(/^([A-Za-z]{2,6}|GMT([+-]\d{2}:\d{2})?)$/);
      }
    }
  });
});
