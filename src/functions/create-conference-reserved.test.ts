import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, startTestServer, type TestServer } from '../../test/harness.js';
import { reservationParams } from '../../test/reservations.js';

describe('createConferenceReserved', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const countConferences = async () => {
    const row = await server.services.store.db
      .selectFrom('conferences')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };

  it('creates a reserved conference with every item and returns the Conference object', async () => {
    const answer = await server.call('createConferenceReserved', {
      name: 'Board meeting',
      recording: 'true',
      ...reservationParams([
        { startDate: '2026.01.20 10:00:00', duration: 60, estimatedCallers: 12 },
        { startDate: '2026.01.27 10:00:00', duration: 30, estimatedCallers: 8 },
      ]),
    });
    expect(answer.code).toBe(0);
    expect(answer.message).toBe('');
    expect(answer.value).toMatchObject({
      name: 'Board meeting',
      reserved: true,
      recording: true,
      status: 'SCHED',
      scheduledStartTime: 'Tue Jan 20 10:00:00 UTC 2026',
      scheduledEndTime: 'Tue Jan 20 11:00:00 UTC 2026',
    });
    expect(answer.value.reservations).toHaveLength(2);
    const data = await server.call('getConferenceData', { conferenceUID: answer.value.UID });
    expect(data.value.reservation).toEqual([
      {
        UID: answer.value.reservations[0],
        conferenceUID: answer.value.UID,
        estimateCaller: 12,
        startTime: 'Tue Jan 20 10:00:00 UTC 2026',
        endTime: 'Tue Jan 20 11:00:00 UTC 2026',
        duration: 60,
      },
      {
        UID: answer.value.reservations[1],
        conferenceUID: answer.value.UID,
        estimateCaller: 8,
        startTime: 'Tue Jan 27 10:00:00 UTC 2026',
        endTime: 'Tue Jan 27 10:30:00 UTC 2026',
        duration: 30,
      },
    ]);
  });

  it('rounds each duration up to the next 15 minutes (1→15, 15→15, 16→30, 61→75)', async () => {
    const answer = await server.call(
      'createConferenceReserved',
      reservationParams([
        { startDate: '2026.02.01 09:00:00', duration: 1 },
        { startDate: '2026.02.02 09:00:00', duration: 15 },
        { startDate: '2026.02.03 09:00:00', duration: 16 },
        { startDate: '2026.02.04 09:00:00', duration: 61 },
      ]),
    );
    expect(answer.code).toBe(0);
    const data = await server.call('getConferenceData', { conferenceUID: answer.value.UID });
    expect(data.value.reservation.map((r: { duration: number }) => r.duration)).toEqual([15, 15, 30, 75]);
    expect(data.value.reservation.map((r: { endTime: string }) => r.endTime)).toEqual([
      'Sun Feb 01 09:15:00 UTC 2026',
      'Mon Feb 02 09:15:00 UTC 2026',
      'Tue Feb 03 09:30:00 UTC 2026',
      'Wed Feb 04 10:15:00 UTC 2026',
    ]);
  });

  it('skips invalid items, names each in the message, and creates the conference from the rest', async () => {
    const answer = await server.call('createConferenceReserved', {
      reservationCount: '6',
      startDate1: '2026.03.01 10:00:00',
      duration1: '60',
      // 2: no start
      duration2: '30',
      // 3: overlaps item 1
      startDate3: '2026.03.01 10:30:00',
      duration3: '30',
      // 4: in the past (now is 2026-01-15 17:00 UTC)
      startDate4: '2026.01.01 10:00:00',
      duration4: '30',
      // 5: an estimated caller count that is not a number
      startDate5: '2026.03.05 10:00:00',
      duration5: '30',
      estimatedCallers5: 'lots',
      // 6: not a date
      startDate6: 'next tuesday',
      duration6: '30',
    });
    expect(answer.code).toBe(0);
    expect(answer.message).toMatch(/^skipped 5 reservation item\(s\): /);
    expect(answer.message).toContain('item 2: startDate2 is required');
    expect(answer.message).toContain('item 3: it overlaps item 1');
    expect(answer.message).toMatch(/item 4: startDate4: .* is in the past/);
    expect(answer.message).toContain('item 5: estimatedCallers5 must be a whole number');
    expect(answer.message).toContain('item 6: startDate6 must be a date and time');
    expect(answer.value.reservations).toHaveLength(1);
    expect(answer.value.scheduledStartTime).toBe('Sun Mar 01 10:00:00 UTC 2026');
  });

  it('fails with code 1 and creates nothing when no item is valid', async () => {
    const before = await countConferences();
    const answer = await server.call('createConferenceReserved', {
      reservationCount: '2',
      startDate1: '2025.12.01 10:00:00',
      duration1: '30',
      startDate2: '2026.03.01 10:00:00',
      duration2: '0',
    });
    expect(answer.code).toBe(1);
    expect(answer.value).toBeNull();
    expect(answer.message).toContain('no valid reservation item');
    expect(answer.message).toContain('item 1: startDate1');
    expect(answer.message).toContain('item 2: duration2 must be a whole number of minutes from 1 to 1440');
    expect(await countConferences()).toBe(before);
  });

  it('fails with code 1 when the numbered items are missing altogether', async () => {
    const answer = await server.call('createConferenceReserved', { reservationCount: '1' });
    expect(answer.code).toBe(1);
    expect(answer.message).toContain('startDate1 is required');
  });

  it('accepts a 0-based set of items', async () => {
    const answer = await server.call(
      'createConferenceReserved',
      reservationParams(
        [
          { startDate: '2026.04.01 10:00:00', duration: 30 },
          { startDate: '2026.04.02 10:00:00', duration: 30 },
        ],
        0,
      ),
    );
    expect(answer.code).toBe(0);
    expect(answer.message).toBe('');
    expect(answer.value.reservations).toHaveLength(2);
  });

  it('accepts a start with an ISO 8601 offset', async () => {
    const answer = await server.call(
      'createConferenceReserved',
      reservationParams([{ startDate: '2026-04-10T10:00:00+02:00', duration: 30 }]),
    );
    expect(answer.code).toBe(0);
    expect(answer.value.scheduledStartTime).toBe('Fri Apr 10 08:00:00 UTC 2026');
  });

  it.each([
    [{}, 'reservationCount is required'],
    [{ reservationCount: '0' }, 'reservationCount must be a whole number from 1 to 100'],
    [{ reservationCount: '101' }, 'reservationCount must be a whole number from 1 to 100'],
    [{ reservationCount: 'two' }, 'reservationCount must be a whole number from 1 to 100'],
  ])('rejects a bad reservationCount %j with code -2', async (params, message) => {
    const answer = await server.call('createConferenceReserved', params);
    expect(answer).toEqual({ code: -2, message: expect.stringContaining(message), value: null });
  });

  it('rejects a bad override with code -2', async () => {
    const answer = await server.call('createConferenceReserved', {
      greenroom: 'perhaps',
      ...reservationParams([{ startDate: '2026.04.01 10:00:00', duration: 30 }]),
    });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('greenroom');
  });

  it('refuses GET, since it is a command', async () => {
    const answer = await server.call(
      'createConferenceReserved',
      reservationParams([{ startDate: '2026.04.01 10:00:00', duration: 30 }]),
      { method: 'GET' },
    );
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('POST');
  });

  it('carries the skipped items in the XML message too', async () => {
    const xml = await server.callXml('createConferenceReserved', {
      reservationCount: '2',
      startDate1: '2026.05.01 10:00:00',
      duration1: '30',
      startDate2: '2026.05.01 10:00:00',
      duration2: '30',
    });
    const doc = parseXml(xml).document;
    expect(doc.code).toBe('0');
    expect(doc.message).toBe('skipped 1 reservation item(s): item 2: it overlaps item 1');
    expect(doc.value.reserved).toBe('true');
    expect(doc.value.reservations.UID).toMatch(/^[A-Z0-9]{16}$/);
  });
});
