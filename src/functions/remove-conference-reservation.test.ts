import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { listHolding } from '../../test/lists.js';
import { createTwoSlotConference } from '../../test/reservations.js';

describe('removeConferenceReservation', () => {
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

  const remove = (reservationUID: string) => server.call('removeConferenceReservation', { reservationUID });

  it('removes a future reservation and returns it as it was', async () => {
    const answer = await remove(first);
    expect(answer).toEqual({
      code: 0,
      message: '',
      value: {
        UID: first,
        conferenceUID: conference,
        estimateCaller: 10,
        startTime: 'Tue Feb 10 10:00:00 UTC 2026',
        endTime: 'Tue Feb 10 11:00:00 UTC 2026',
        duration: 60,
      },
    });
    const view = await server.call('getConference', { conferenceUID: conference });
    expect(view.value.reservations).toEqual([second]);
    expect(view.value.scheduledStartTime).toBe('Tue Feb 10 12:00:00 UTC 2026');
    expect((await server.call('getConferenceReservation', { reservationUID: first })).code).toBe(-2);
  });

  it('rejects the reservation of a reservationless conference with code 1', async () => {
    const created = await server.call('createConferenceReservationless', {});
    const answer = await remove(created.value.reservations[0]);
    expect(answer.code).toBe(1);
    expect(answer.message).toContain('reservationless');
  });

  it('rejects the last reservation of a conference with code 2', async () => {
    expect((await remove(first)).code).toBe(0);
    const answer = await remove(second);
    expect(answer.code).toBe(2);
    expect(answer.message).toBe(`reservation ${second} is the last one of conference ${conference}`);
  });

  it('rejects a reservation that has ended with code 3', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 11, 0));
    const answer = await remove(first);
    expect(answer.code).toBe(3);
    expect(answer.message).toBe(`reservation ${first} ended Tue Feb 10 11:00:00 UTC 2026`);
  });

  it('rejects a reservation that is under way with code 4', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 10, 0));
    const answer = await remove(first);
    expect(answer.code).toBe(4);
    expect(answer.message).toContain('under way');
  });

  it('removes a reservation whose window is open but which has not started', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 9, 50));
    expect((await remove(first)).code).toBe(0);
  });

  it('closes the conference when what remains has ended', async () => {
    server.clock.set(Date.UTC(2026, 1, 10, 11, 30));
    expect(await listHolding(server, conference)).toBe('getUpcomingConference');
    expect((await remove(second)).code).toBe(0);
    expect(await listHolding(server, conference)).toBe('getExpiredConference');
  });

  it('rejects an unknown reservation, and another customer’s, with the same code -2', async () => {
    const unknown = await remove('NOSUCHRESERVATN');
    expect(unknown).toEqual({ code: -2, message: 'no reservation with UID NOSUCHRESERVATN', value: null });
    const other = await server.addCustomer({ name: 'Other' });
    const foreign = await server.call('removeConferenceReservation', { reservationUID: first }, { as: other });
    expect(foreign).toEqual({ code: -2, message: `no reservation with UID ${first}`, value: null });
    expect((await server.call('getConference', { conferenceUID: conference })).value.reservations).toHaveLength(2);
  });

  it('rejects a reservation of a canceled conference with code -2', async () => {
    await server.call('cancelConference', { conference });
    const answer = await remove(first);
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('canceled');
  });

  it('refuses GET, since it is a command', async () => {
    const answer = await server.call('removeConferenceReservation', { reservationUID: first }, { method: 'GET' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('POST');
  });
});
