import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptoRandom } from '../random.js';
import { createConference, startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { createReservedConference } from '../../test/reservations.js';

describe('addConferenceReservation', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    // 2026.02.10 10:00–11:00 and 12:00–13:00 UTC.
    conference = await createReservedConference(server, [
      { startDate: '2026.02.10 10:00:00', duration: 60 },
      { startDate: '2026.02.10 12:00:00', duration: 60 },
    ]);
  });
  afterAll(() => server.close());

  const add = (params: Record<string, string>) => server.call('addConferenceReservation', { conference, ...params });

  it('adds a reservation and returns the Reservation object, duration rounded up', async () => {
    const answer = await add({ startDate: '2026.02.11 09:00:00', duration: '50', estimatedCallers: '40' });
    expect(answer.code).toBe(0);
    expect(answer.message).toBe('');
    expect(answer.value).toEqual({
      UID: expect.stringMatching(/^[A-Z0-9]{16}$/),
      conferenceUID: conference,
      estimateCaller: 40,
      startTime: 'Wed Feb 11 09:00:00 UTC 2026',
      endTime: 'Wed Feb 11 10:00:00 UTC 2026',
      duration: 60,
    });
    const view = await server.call('getConference', { conferenceUID: conference });
    expect(view.value.reservations).toContain(answer.value.UID);
    const again = await server.call('getConferenceReservation', { reservationUID: answer.value.UID });
    expect(again.value).toEqual(answer.value);
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
    const answer = await add({ startDate: '2026.06.01 09:00:00', duration: '30' });
    expect(answer.code).toBe(0);
    expect(await lastEnd()).toBe(Date.UTC(2026, 5, 1, 9, 30));
  });

  it('accepts a reservation that starts exactly when another ends', async () => {
    const answer = await add({ startDate: '2026.02.10 11:00:00', duration: '45' });
    expect(answer.code).toBe(0);
    expect(answer.value.endTime).toBe('Tue Feb 10 11:45:00 UTC 2026');
  });

  it('rejects a start inside another reservation with code 1', async () => {
    for (const startDate of ['2026.02.10 10:00:00', '2026.02.10 10:30:00', '2026.02.10 12:59:00']) {
      const answer = await add({ startDate, duration: '15' });
      expect(answer.code).toBe(1);
      expect(answer.message).toContain('startDate falls inside reservation');
    }
  });

  it('rejects a free start whose duration runs into a later reservation with code 2', async () => {
    const answer = await add({ startDate: '2026.02.10 09:00:00', duration: '61' });
    expect(answer.code).toBe(2);
    expect(answer.message).toContain('would run into reservation');
    expect(answer.message).toContain('Tue Feb 10 10:00:00 UTC 2026');
    // One that swallows a whole later reservation is code 2 as well.
    const wide = await add({ startDate: '2026.02.10 09:00:00', duration: '600' });
    expect(wide.code).toBe(2);
  });

  it('rejects an invalid estimatedCallers with code 3', async () => {
    for (const estimatedCallers of ['many', '0', '-1', '1.5', '100001']) {
      const answer = await add({ startDate: '2026.03.01 09:00:00', duration: '30', estimatedCallers });
      expect(answer.code).toBe(3);
      expect(answer.message).toContain('estimatedCallers');
    }
  });

  it('rejects a reservationless conference with code 4', async () => {
    const reservationless = await createConference(server);
    const answer = await server.call('addConferenceReservation', {
      conference: reservationless,
      startDate: '2026.03.01 09:00:00',
      duration: '30',
    });
    expect(answer.code).toBe(4);
    expect(answer.message).toContain('reservationless');
  });

  it('rejects a start in the past with code -2', async () => {
    const answer = await add({ startDate: '2026.01.15 16:59:00', duration: '30' });
    expect(answer.code).toBe(-2);
    expect(answer.message).toBe(
      'startDate: Thu Jan 15 16:59:00 UTC 2026 is in the past; it is now Thu Jan 15 17:00:00 UTC 2026',
    );
  });

  it.each([
    [{ duration: '30' }, 'startDate is required'],
    [{ startDate: '15/01/2026', duration: '30' }, 'startDate must be a date and time as yyyy.MM.dd HH:mm:ss'],
    [{ startDate: '2026.02.30 10:00:00', duration: '30' }, 'startDate must be a date and time'],
    [{ startDate: '2026.03.01 09:00:00' }, 'duration is required'],
    [{ startDate: '2026.03.01 09:00:00', duration: '0' }, 'duration must be a whole number from 1 to 1440'],
    [{ startDate: '2026.03.01 09:00:00', duration: '1441' }, 'duration must be a whole number from 1 to 1440'],
    [{ startDate: '2026.03.01 09:00:00', duration: 'an hour' }, 'duration must be a whole number from 1 to 1440'],
  ])('rejects bad parameters %j with code -2', async (params, message) => {
    const answer = await add(params);
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain(message);
  });

  it('rejects an unknown conference with code -2', async () => {
    const answer = await server.call('addConferenceReservation', {
      conference: 'NOSUCHCONFERENCE',
      startDate: '2026.03.01 09:00:00',
      duration: '30',
    });
    expect(answer).toEqual({ code: -2, message: 'no conference with UID NOSUCHCONFERENCE', value: null });
  });

  it('treats another customer’s conference as nonexistent', async () => {
    const other = await server.addCustomer({ name: 'Other' });
    const answer = await server.call(
      'addConferenceReservation',
      { conference, startDate: '2026.03.01 09:00:00', duration: '30' },
      { as: other },
    );
    expect(answer).toEqual({ code: -2, message: `no conference with UID ${conference}`, value: null });
  });

  it('rejects a canceled conference with code -2', async () => {
    const canceled = await createReservedConference(server, [{ startDate: '2026.03.01 09:00:00', duration: 30 }]);
    expect((await server.call('cancelConference', { conference: canceled })).code).toBe(0);
    const answer = await server.call('addConferenceReservation', {
      conference: canceled,
      startDate: '2026.03.02 09:00:00',
      duration: '30',
    });
    expect(answer.code).toBe(-2);
    expect(answer.message).toContain('canceled');
  });

  it('refuses GET, since it is a command', async () => {
    const answer = await add({ startDate: '2026.03.01 09:00:00', duration: '30' });
    expect(answer.code).toBe(0);
    const refused = await server.call(
      'addConferenceReservation',
      { conference, startDate: '2026.03.09 09:00:00', duration: '30' },
      { method: 'GET' },
    );
    expect(refused.code).toBe(-2);
    expect(refused.message).toContain('POST');
  });
});

describe('addConferenceReservation on a closed conference', () => {
  it('brings it back to life and gives back the PINs, reissuing one that was taken meanwhile', async () => {
    // PIN draws: first conference's persons get 111111 and 222222; the second
    // conference takes 111111 over once the first is closed (PostgreSQL's
    // group statement draws twice before the PIN rules take a PIN over, so
    // 111111 is drawn twice; on SQLite the second is the revived person's
    // first draw, held by then); the revived person then gets 333333.
    const draws = ['111111', '222222', '111111', '111111', '333333'];
    let i = 0;
    const server = await startTestServer({ random: { ...cryptoRandom, pin: () => draws[i++]! } });
    try {
      const first = await createReservedConference(server, [{ startDate: '2026.01.15 18:00:00', duration: 30 }]);
      const ann = await server.call('addPerson', { conference: first, role: 'PARTICIPANT', name: 'Ann' });
      const bob = await server.call('addPerson', { conference: first, role: 'PARTICIPANT', name: 'Bob' });
      expect([ann.value.PIN, bob.value.PIN]).toEqual(['111111', '222222']);

      server.clock.set(testEpoch + 2 * 3_600_000); // 19:00, after the only reservation ended
      expect((await server.call('getConference', { conferenceUID: first })).value.status).toBe('CLOSED');
      const second = await createConference(server);
      const cyd = await server.call('addPerson', { conference: second, role: 'PARTICIPANT', name: 'Cyd' });
      expect(cyd.value.PIN).toBe('111111');

      const added = await server.call('addConferenceReservation', {
        conference: first,
        startDate: '2026.01.16 10:00:00',
        duration: '30',
      });
      expect(added.code).toBe(0);
      const data = await server.call('getConferenceData', { conferenceUID: first });
      expect(data.value.status).toBe('SCHED');
      const pins = Object.fromEntries(data.value.person.map((p: { name: string; PIN: string }) => [p.name, p.PIN]));
      expect(pins).toEqual({ Ann: '333333', Bob: '222222' });
      const cydNow = await server.call('getConferenceData', { conferenceUID: second });
      expect(cydNow.value.person[0].PIN).toBe('111111');
    } finally {
      await server.close();
    }
  });
});
