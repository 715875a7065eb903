import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { listHolding } from '../../test/lists.js';
import { createTwoSlotConference } from '../../test/reservations.js';

describe('updateConferenceReservation', () => {
  let server: TestServer;
  let conference: string;
  let first: string;
  let second: string;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.clock.set(testEpoch);
    ({ conference, first, second } = await createTwoSlotConference(server));
  });

  const update = (reservationUID: string, params: Record<string, string>) =>
    server.call('updateConferenceReservation', { reservationUID, ...params });

  it('changes only the estimated callers, and returns the updated Reservation', async () => {
    const answer = await update(first, { estimatedCallers: '25' });
    expect(answer).toEqual({
      code: 0,
      message: '',
      value: {
        UID: first,
        conferenceUID: conference,
        estimateCaller: 25,
        startTime: 'Tue Feb 10 10:00:00 UTC 2026',
        endTime: 'Tue Feb 10 11:00:00 UTC 2026',
        duration: 60,
      },
    });
  });

  it('moves the start and keeps the duration and estimated callers', async () => {
    const answer = await update(first, { startDate: '2026.02.09 15:00:00' });
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({
      startTime: 'Mon Feb 09 15:00:00 UTC 2026',
      endTime: 'Mon Feb 09 16:00:00 UTC 2026',
      duration: 60,
      estimateCaller: 10,
    });
    const view = await server.call('getConference', { conferenceUID: conference });
    expect(view.value.scheduledStartTime).toBe('Mon Feb 09 15:00:00 UTC 2026');
  });

  it('rounds a new duration up to the quarter hour', async () => {
    const answer = await update(first, { duration: '61' });
    expect(answer.value).toMatchObject({ duration: 75, endTime: 'Tue Feb 10 11:15:00 UTC 2026' });
  });

  it('may overlap the reservation’s own old slot', async () => {
    const answer = await update(first, { startDate: '2026.02.10 10:30:00', duration: '90' });
    expect(answer.code).toBe(0);
    expect(answer.value.endTime).toBe('Tue Feb 10 12:00:00 UTC 2026');
  });

  it('keeps conferences.last_end at the end of the last reservation', async () => {
    const lastEnd = async () =>
      (
        await server.services.store.db
          .selectFrom('conferences')
          .select('last_end')
          .where('uid', '=', conference)
          .executeTakeFirstOrThrow()
      ).last_end;
    expect(await lastEnd()).toBe(Date.UTC(2026, 1, 10, 13));
    expect((await update(second, { startDate: '2026.02.11 12:00:00' })).code).toBe(0);
    expect(await lastEnd()).toBe(Date.UTC(2026, 1, 11, 13));
    expect((await update(second, { startDate: '2026.02.09 12:00:00' })).code).toBe(0);
    expect(await lastEnd()).toBe(Date.UTC(2026, 1, 10, 11));
  });

  it('rejects a new start inside another reservation with code 1', async () => {
    const answer = await update(first, { startDate: '2026.02.10 12:30:00' });
    expect(answer.code).toBe(1);
    expect(answer.message).toContain(`startDate falls inside reservation ${second}`);
  });

  it('rejects a new duration that runs into the next reservation with code 2', async () => {
    const longer = await update(first, { duration: '121' });
    expect(longer.code).toBe(2);
    expect(longer.message).toContain(`would run into reservation ${second}`);
    const moved = await update(first, { startDate: '2026.02.10 11:30:00' });
    expect(moved.code).toBe(2);
  });

  it('rejects an invalid estimatedCallers with code 3 and changes nothing', async () => {
    const answer = await update(first, { estimatedCallers: 'dozens', startDate: '2026.02.09 15:00:00' });
    expect(answer.code).toBe(3);
    const now = await server.call('getConferenceReservation', { reservationUID: first });
    expect(now.value).toMatchObject({ estimateCaller: 10, startTime: 'Tue Feb 10 10:00:00 UTC 2026' });
  });

  it('rejects a new start or duration on a reservationless conference with code 4, but takes estimatedCallers', async () => {
    const created = await server.call('createConferenceReservationless', { estimatedCallers: '5' });
    const only = created.value.reservations[0] as string;
    expect((await update(only, { startDate: '2026.02.10 10:00:00' })).code).toBe(4);
    expect((await update(only, { duration: '30' })).code).toBe(4);
    const answer = await update(only, { estimatedCallers: '50' });
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({ estimateCaller: 50, startTime: null, duration: null });
  });

  it('rejects a call that changes nothing with code -2', async () => {
    const answer = await update(first, {});
    expect(answer).toEqual({
      code: -2,
      message: 'nothing to change: supply startDate, duration or estimatedCallers',
      value: null,
    });
  });

  it('rejects a new start in the past with code -2', async () => {
    const answer = await update(first, { startDate: '2026.01.15 16:00:00' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('is in the past');
  });

  it('rejects a change to a reservation that has ended with code -2', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 11, 30));
    const answer = await update(first, { duration: '30' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toBe(`reservation ${first} ended Tue Feb 10 11:00:00 UTC 2026; it cannot change`);
  });

  it('lengthens a reservation that is under way, but will not end it in the past', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 10, 40));
    expect((await update(first, { duration: '90' })).value.endTime).toBe('Tue Feb 10 11:30:00 UTC 2026');
    const shortened = await update(first, { duration: '30' });
    expect(shortened.code).toBe(-2);
    expect(shortened.message).toContain('in the past');
  });

  it('rejects bad parameters with code -2', async () => {
    expect((await update(first, { startDate: 'soon' })).code).toBe(-2);
    expect((await update(first, { duration: '0' })).code).toBe(-2);
    expect((await update(first, { duration: '1441' })).code).toBe(-2);
  });

  it('rejects an unknown reservation, and another customer’s, with the same code -2', async () => {
    const unknown = await update('NOSUCHRESERVATN', { estimatedCallers: '3' });
    expect(unknown).toEqual({ code: -2, message: 'no reservation with UID NOSUCHRESERVATN', value: null });
    const other = await server.addCustomer({ name: 'Other' });
    const foreign = await server.call(
      'updateConferenceReservation',
      { reservationUID: first, estimatedCallers: '3' },
      { as: other },
    );
    expect(foreign).toEqual({ code: -2, message: `no reservation with UID ${first}`, value: null });
  });

  it('rejects a reservation of a canceled conference with code -2', async () => {
    await server.call('cancelConference', { conference });
    const answer = await update(first, { estimatedCallers: '3' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('canceled');
  });

  it('moves the conference between lists when its window moves', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 9, 50)); // first reservation's window is open
    expect(await listHolding(server, conference)).toBe('getPossibleConference');
    expect((await update(first, { startDate: '2026.02.10 14:00:00' })).code).toBe(0);
    expect(await listHolding(server, conference)).toBe('getUpcomingConference');
  });
});
