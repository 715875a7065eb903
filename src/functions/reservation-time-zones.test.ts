import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { listHolding } from '../../test/lists.js';
import { createReservedConference, reservationParams } from '../../test/reservations.js';

/**
 * DateTime parameters are read in the customer's time zone; a local time the
 * clocks skip or repeat at a daylight-saving change is a -2, never a guess.
 * 2026: New York springs forward Mar 8 02:00→03:00 and falls back Nov 1 02:00→01:00;
 * Berlin springs forward Mar 29 02:00→03:00 and falls back Oct 25 03:00→02:00.
 */
const zones = [
  {
    zone: 'America/New_York',
    gap: '2026.03.08 02:30:00',
    repeated: '2026.11.01 01:30:00',
    repeatedOffsets: ['-04:00', '-05:00'],
    repeatedShown: ['Sun Nov 01 01:30:00 EDT 2026', 'Sun Nov 01 01:30:00 EST 2026'],
    // 60 minutes from 01:30 EST crosses the gap: the end reads 03:30 EDT.
    acrossSpring: {
      start: '2026.03.08 01:30:00',
      startShown: 'Sun Mar 08 01:30:00 EST 2026',
      end: 'Sun Mar 08 03:30:00 EDT 2026',
    },
    // 120 minutes from 00:30 EDT crosses the repeated hour: the end reads 01:30 EST.
    acrossFall: {
      start: '2026.11.01 00:30:00',
      startShown: 'Sun Nov 01 00:30:00 EDT 2026',
      end: 'Sun Nov 01 01:30:00 EST 2026',
    },
    // The evening before spring forward, and 09:00 the next morning (EDT, 13:00 UTC).
    eveBefore: Date.UTC(2026, 2, 8, 4, 59),
    nextMorning: { local: '2026.03.08 09:00:00', shown: 'Sun Mar 08 09:00:00 EDT 2026', utc: Date.UTC(2026, 2, 8, 13) },
  },
  {
    zone: 'Europe/Berlin',
    gap: '2026.03.29 02:30:00',
    repeated: '2026.10.25 02:30:00',
    repeatedOffsets: ['+02:00', '+01:00'],
    repeatedShown: ['Sun Oct 25 02:30:00 CEST 2026', 'Sun Oct 25 02:30:00 CET 2026'],
    acrossSpring: {
      start: '2026.03.29 01:30:00',
      startShown: 'Sun Mar 29 01:30:00 CET 2026',
      end: 'Sun Mar 29 03:30:00 CEST 2026',
    },
    acrossFall: {
      start: '2026.10.25 01:30:00',
      startShown: 'Sun Oct 25 01:30:00 CEST 2026',
      end: 'Sun Oct 25 02:30:00 CET 2026',
    },
    eveBefore: Date.UTC(2026, 2, 28, 22, 59),
    nextMorning: {
      local: '2026.03.29 09:00:00',
      shown: 'Sun Mar 29 09:00:00 CEST 2026',
      utc: Date.UTC(2026, 2, 29, 7),
    },
  },
] as const;

describe.each(zones)('reservations in $zone', (z) => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    // 2026-01-15, well before both changes.
    server = await startTestServer({ timeZone: z.zone });
    conference = await createReservedConference(server, [{ startDate: '2026.02.02 10:00:00', duration: 30 }]);
  });
  afterAll(() => server.close());

  const add = (params: Record<string, string>) => server.call('addConferenceReservation', { conference, ...params });

  it('reads and shows times in the customer’s zone', async () => {
    const answer = await server.call('getConference', { conferenceUID: conference });
    expect(answer.value.scheduledStartTime).toMatch(/^Mon Feb 02 10:00:00 (EST|CET) 2026$/);
  });

  it('rejects a start the clocks skip in spring with code -2', async () => {
    const answer = await add({ startDate: z.gap, duration: '30' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toBe(
      `startDate: ${z.gap} does not exist in ${z.zone} (the clocks skip it at a daylight-saving change)`,
    );
  });

  it('rejects a start the clocks repeat in autumn with code -2, naming both offsets', async () => {
    const answer = await add({ startDate: z.repeated, duration: '30' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(`startDate: ${z.repeated} happens twice in ${z.zone}`);
    for (const offset of z.repeatedOffsets) expect(answer.message).toContain(offset);
  });

  it('takes either reading of a repeated time when it carries an offset', async () => {
    const iso = z.repeated.replace(/\./g, '-').replace(' ', 'T');
    const [early, late] = z.repeatedOffsets;
    const first = await add({ startDate: `${iso}${early}`, duration: '15' });
    expect(first.code).toBe(0);
    expect(first.value.startTime).toBe(z.repeatedShown[0]);
    // An hour later by the clock on the wall, the same reading again: no overlap.
    const second = await add({ startDate: `${iso}${late}`, duration: '15' });
    expect(second.code).toBe(0);
    expect(second.value.startTime).toBe(z.repeatedShown[1]);
  });

  it('counts a duration that spans the spring change in real minutes', async () => {
    const answer = await add({ startDate: z.acrossSpring.start, duration: '60' });
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({
      startTime: z.acrossSpring.startShown,
      endTime: z.acrossSpring.end,
      duration: 60,
    });
  });

  it('counts a duration that spans the autumn change in real minutes', async () => {
    // Its own conference: the repeated-hour reservations above would overlap it.
    const own = await createReservedConference(server, [{ startDate: '2026.02.02 10:00:00', duration: 30 }]);
    const answer = await server.call('addConferenceReservation', {
      conference: own,
      startDate: z.acrossFall.start,
      duration: '120',
    });
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({
      startTime: z.acrossFall.startShown,
      endTime: z.acrossFall.end,
      duration: 120,
    });
  });

  it('skips a createConferenceReserved item at a DST gap or overlap, and fails with code 1 if none is left', async () => {
    const mixed = await server.call(
      'createConferenceReserved',
      reservationParams([
        { startDate: z.gap, duration: 30 },
        { startDate: '2026.06.01 10:00:00', duration: 30 },
        { startDate: z.repeated, duration: 30 },
      ]),
    );
    expect(mixed.code).toBe(0);
    expect(mixed.message).toContain(`item 1: startDate1: ${z.gap} does not exist in ${z.zone}`);
    expect(mixed.message).toContain(`item 3: startDate3: ${z.repeated} happens twice in ${z.zone}`);
    expect(mixed.value.reservations).toHaveLength(1);

    const none = await server.call('createConferenceReserved', reservationParams([{ startDate: z.gap, duration: 30 }]));
    expect(none.code).toBe(1);
    expect(none.message).toContain('does not exist');
  });

  it('rejects an updateConferenceReservation start at a DST gap with code -2', async () => {
    const view = await server.call('getConference', { conferenceUID: conference });
    const answer = await server.call('updateConferenceReservation', {
      reservationUID: view.value.reservations[0],
      startDate: z.gap,
    });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('does not exist');
  });

  it('opens the window by the real clock across the change: frozen at 23:59 the evening before', async () => {
    const local = await startTestServer({ timeZone: z.zone, now: z.eveBefore });
    try {
      const uid = await createReservedConference(local, [{ startDate: z.nextMorning.local, duration: 30 }]);
      const view = await local.call('getConference', { conferenceUID: uid });
      expect(view.value).toMatchObject({ status: 'SCHED', scheduledStartTime: z.nextMorning.shown });
      local.clock.set(z.nextMorning.utc - 15 * 60_000 - 1);
      expect(await listHolding(local, uid)).toBe('getUpcomingConference');
      local.clock.set(z.nextMorning.utc - 15 * 60_000);
      expect(await listHolding(local, uid)).toBe('getPossibleConference');
    } finally {
      await local.close();
    }
  });
});

describe('a customer that changes time zone', () => {
  it('sees the same instants in the new zone, and writes new times in it', async () => {
    const server = await startTestServer({ timeZone: 'America/New_York' });
    try {
      const uid = await createReservedConference(server, [{ startDate: '2026.07.01 09:00:00', duration: 30 }]);
      expect((await server.call('updateCustomer', { field: 'timeZone', value: 'Europe/Berlin' })).code).toBe(0);
      const view = await server.call('getConference', { conferenceUID: uid });
      expect(view.value.scheduledStartTime).toBe('Wed Jul 01 15:00:00 CEST 2026');
      const added = await server.call('addConferenceReservation', {
        conference: uid,
        startDate: '2026.07.02 09:00:00',
        duration: '30',
      });
      expect(added.value.startTime).toBe('Thu Jul 02 09:00:00 CEST 2026');
    } finally {
      await server.close();
    }
  });
});
