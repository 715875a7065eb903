import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, startTestServer, type TestServer } from '../../test/harness.js';
import { createReservedConference } from '../../test/reservations.js';

describe('getConferenceReservation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('returns a timed reservation', async () => {
    const conference = await createReservedConference(server, [
      { startDate: '2026.02.10 10:00:00', duration: 20, estimatedCallers: 5 },
    ]);
    const view = await server.call('getConference', { conferenceUID: conference });
    const reservationUID = view.value.reservations[0] as string;
    const answer = await server.call('getConferenceReservation', { reservationUID });
    expect(answer).toEqual({
      code: 0,
      message: '',
      value: {
        UID: reservationUID,
        conferenceUID: conference,
        estimateCaller: 5,
        startTime: 'Tue Feb 10 10:00:00 UTC 2026',
        endTime: 'Tue Feb 10 10:30:00 UTC 2026',
        duration: 30,
      },
    });
    const xml = parseXml(await server.callXml('getConferenceReservation', { reservationUID }));
    expect(xml.document.value).toEqual({
      UID: reservationUID,
      conferenceUID: conference,
      estimateCaller: '5',
      startTime: 'Tue Feb 10 10:00:00 UTC 2026',
      endTime: 'Tue Feb 10 10:30:00 UTC 2026',
      duration: '30',
    });
  });

  it('returns the timeless reservation of a reservationless conference, with its estimated callers', async () => {
    const created = await server.call('createConferenceReservationless', { estimatedCallers: '30' });
    const answer = await server.call('getConferenceReservation', { reservationUID: created.value.reservations[0] });
    expect(answer.code).toBe(0);
    expect(answer.value).toMatchObject({
      conferenceUID: created.value.UID,
      estimateCaller: 30,
      startTime: null,
      endTime: null,
      duration: null,
    });
  });

  it('rejects an unknown reservation with code -2', async () => {
    const answer = await server.call('getConferenceReservation', { reservationUID: 'NOSUCHRESERVATN' });
    expect(answer).toEqual({ code: -2, message: 'no reservation with UID NOSUCHRESERVATN', value: null });
  });

  it('rejects a missing reservationUID with code -2', async () => {
    const answer = await server.call('getConferenceReservation', {});
    expect(answer).toEqual({ code: -2, message: 'reservationUID is required', value: null });
  });

  it('treats another customer’s reservation as nonexistent', async () => {
    const conference = await createReservedConference(server, [{ startDate: '2026.02.11 10:00:00', duration: 30 }]);
    const view = await server.call('getConference', { conferenceUID: conference });
    const reservationUID = view.value.reservations[0] as string;
    const other = await server.addCustomer({ name: 'Other' });
    const answer = await server.call('getConferenceReservation', { reservationUID }, { as: other });
    expect(answer).toEqual({ code: -2, message: `no reservation with UID ${reservationUID}`, value: null });
  });
});
