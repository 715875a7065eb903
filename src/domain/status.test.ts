import { describe, expect, it } from 'vitest';
import { holdsPins, readStatus } from './status.js';

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
