import { describe, expect, it } from 'vitest';
import { holdsPins, readStatus, statusValidUntil } from './status.js';

const minute = 60_000;
const open = 15 * minute;
const base = { reserved: 1, canceled_at: null, active_call_uid: null };
const slot = (start: number, end: number) => ({ start_at: start, end_at: end });

describe('readStatus', () => {
  const slots = [slot(1000 * minute, 1060 * minute), slot(2000 * minute, 2030 * minute)];

  it('is SCHED before a reservation window opens, showing the next reservation', () => {
    expect(readStatus(base, slots, 900 * minute, open)).toEqual({
      status: 'SCHED',
      scheduledStart: 1000 * minute,
      scheduledEnd: 1060 * minute,
    });
  });

  it('is IDLE from 15 minutes before the start until the end', () => {
    expect(readStatus(base, slots, 985 * minute, open).status).toBe('IDLE');
    expect(readStatus(base, slots, 984 * minute, open).status).toBe('SCHED');
    expect(readStatus(base, slots, 1059 * minute, open).status).toBe('IDLE');
  });

  it('is SCHED again between reservations, showing the next one', () => {
    expect(readStatus(base, slots, 1060 * minute, open)).toMatchObject({
      status: 'SCHED',
      scheduledStart: 2000 * minute,
    });
  });

  it('is CLOSED after the last reservation, showing the last one', () => {
    expect(readStatus(base, slots, 2030 * minute, open)).toEqual({
      status: 'CLOSED',
      scheduledStart: 2000 * minute,
      scheduledEnd: 2030 * minute,
    });
  });

  it('is ACTIVE during a call and CANCEL once canceled, whatever the time', () => {
    expect(readStatus({ ...base, active_call_uid: 'C' }, slots, 0, open).status).toBe('ACTIVE');
    expect(readStatus({ ...base, canceled_at: 1, active_call_uid: 'C' }, slots, 0, open).status).toBe('CANCEL');
  });

  it('is IDLE for a reservationless conference, with no scheduled times', () => {
    expect(readStatus({ ...base, reserved: 0 }, [{ start_at: null, end_at: null }], 5, open)).toEqual({
      status: 'IDLE',
      scheduledStart: null,
      scheduledEnd: null,
    });
  });
});

describe('holdsPins', () => {
  it('frees PINs of canceled and closed conferences only', () => {
    expect(holdsPins({ ...base, last_end: 100 }, 99)).toBe(true);
    expect(holdsPins({ ...base, last_end: 100 }, 100)).toBe(false);
    expect(holdsPins({ ...base, reserved: 0, last_end: null }, 1e15)).toBe(true);
    expect(holdsPins({ ...base, canceled_at: 1, reserved: 0, last_end: null }, 0)).toBe(false);
  });
});

describe('statusValidUntil', () => {
  const slots = [slot(2000 * minute, 2030 * minute), slot(1000 * minute, 1060 * minute)];

  it('holds the reading until the next window opening or end, and the reading changes there', () => {
    for (let now = 900 * minute; now < 2100 * minute; now += 5 * minute) {
      const until = statusValidUntil(base, slots, now, open);
      const reading = readStatus(base, slots, now, open);
      for (let t = now; t < Math.min(until, 2100 * minute); t += minute) {
        expect(readStatus(base, slots, t, open)).toEqual(reading);
      }
      if (until !== Infinity) expect(readStatus(base, slots, until, open)).not.toEqual(reading);
    }
  });

  it('names the window opening, then the end, then the next opening', () => {
    expect(statusValidUntil(base, slots, 900 * minute, open)).toBe(985 * minute);
    expect(statusValidUntil(base, slots, 985 * minute, open)).toBe(1060 * minute);
    expect(statusValidUntil(base, slots, 1060 * minute, open)).toBe(1985 * minute);
    expect(statusValidUntil(base, slots, 2030 * minute, open)).toBe(Infinity);
  });

  it('is forever when time alone cannot change the status', () => {
    expect(statusValidUntil({ ...base, canceled_at: 1 }, slots, 0, open)).toBe(Infinity);
    expect(statusValidUntil({ ...base, active_call_uid: 'C' }, slots, 0, open)).toBe(Infinity);
    expect(statusValidUntil({ ...base, reserved: 0 }, [{ start_at: null, end_at: null }], 0, open)).toBe(Infinity);
  });
});
