import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, parseXml, startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { conferenceLists, listHolding, readLists, startCall, type ListName } from '../../test/lists.js';
import { createReservedConference } from '../../test/reservations.js';

const minute = 60_000;
const hour = 60 * minute;

describe('the five conference lists', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('are empty for a new customer, in JSON and XML', async () => {
    const other = await server.addCustomer({ name: 'Empty' });
    const lists = await readLists(server, other);
    expect(lists).toEqual({
      getActiveConference: [],
      getPossibleConference: [],
      getUpcomingConference: [],
      getExpiredConference: [],
      getCanceledConference: [],
    });
    const xml = await server.callXml('getUpcomingConference', {}, { as: other });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><document><value></value><code>0</code><message></message></document>',
    );
  });

  it('partition the conferences by status, each item the same object getConference returns', async () => {
    // Now is 2026-01-15 17:00 UTC.
    server.clock.set(testEpoch - 3 * hour); // 14:00: create one that ends at 15:00
    const expired = await createReservedConference(server, [{ startDate: '2026.01.15 14:30:00', duration: 30 }]);
    server.clock.set(testEpoch);
    const reservationless = await createConference(server);
    const soon = await createReservedConference(server, [{ startDate: '2026.01.15 17:10:00', duration: 30 }]);
    const later = await createReservedConference(server, [{ startDate: '2026.01.16 09:00:00', duration: 30 }]);
    const canceled = await createReservedConference(server, [{ startDate: '2026.01.17 09:00:00', duration: 30 }]);
    expect((await server.call('cancelConference', { conference: canceled })).code).toBe(0);
    const live = await createConference(server);
    await startCall(server, live, 'CALL000000000001');
    await server.call('addPerson', { conference: later, role: 'PRESENTER', name: 'Pat' });
    await server.call('updateCustomValue', {
      objectType: 'conference',
      objectUID: later,
      customKey: 'team',
      customValue: 'blue',
    });

    const expected: Record<string, ListName> = {
      [expired]: 'getExpiredConference',
      [reservationless]: 'getPossibleConference',
      [soon]: 'getPossibleConference',
      [later]: 'getUpcomingConference',
      [canceled]: 'getCanceledConference',
      [live]: 'getActiveConference',
    };
    for (const [uid, list] of Object.entries(expected)) expect(await listHolding(server, uid)).toBe(list);

    const lists = await readLists(server);
    for (const [name, items] of Object.entries(lists)) {
      for (const item of items) {
        const single = await server.call('getConference', { conferenceUID: item.UID });
        expect(item, `${item.UID} in ${name}`).toEqual(single.value);
      }
    }
    const laterItem = lists.getUpcomingConference.find((c) => c.UID === later);
    expect(laterItem.persons).toHaveLength(1);
    expect(laterItem.custom).toEqual([{ key: 'team', value: 'blue' }]);
    const liveItem = lists.getActiveConference.find((c) => c.UID === live);
    expect(liveItem).toMatchObject({ status: 'ACTIVE', activeCallUID: 'CALL000000000001' });
    expect(liveItem.calls).toEqual(['CALL000000000001']);
  });

  it('order upcoming conferences by their next start, soonest first', async () => {
    const local = await startTestServer();
    try {
      const c = await createReservedConference(local, [{ startDate: '2026.03.03 09:00:00', duration: 30 }]);
      const a = await createReservedConference(local, [
        { startDate: '2026.03.01 09:00:00', duration: 30 },
        { startDate: '2026.03.09 09:00:00', duration: 30 },
      ]);
      const b = await createReservedConference(local, [{ startDate: '2026.03.02 09:00:00', duration: 30 }]);
      const answer = await local.call('getUpcomingConference');
      expect(answer.value.conference.map((x: { UID: string }) => x.UID)).toEqual([a, b, c]);
    } finally {
      await local.close();
    }
  });

  it('render one <conference> per item directly in <value>; one item is still a JSON array', async () => {
    const local = await startTestServer();
    try {
      const only = await createReservedConference(local, [{ startDate: '2026.03.01 09:00:00', duration: 30 }]);
      const json = await local.call('getUpcomingConference');
      expect(Array.isArray(json.value.conference)).toBe(true);
      expect(json.value.conference).toHaveLength(1);
      expect(json.value.conference[0].UID).toBe(only);

      const xml = await local.callXml('getUpcomingConference');
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><document><value><conference><UID>/);
      expect(xml.match(/<conference>/g)).toHaveLength(1);
      const doc = parseXml(xml).document;
      expect(doc.value.conference.UID).toBe(only);
      expect(doc.value.conference.status).toBe('SCHED');

      await createReservedConference(local, [{ startDate: '2026.03.02 09:00:00', duration: 30 }]);
      const two = parseXml(await local.callXml('getUpcomingConference')).document;
      expect(two.value.conference).toHaveLength(2);
    } finally {
      await local.close();
    }
  });

  it('answer GET and POST, with no parameters', async () => {
    for (const name of Object.keys(conferenceLists)) {
      const post = await server.call(name, {}, { method: 'POST' });
      expect(post.code).toBe(0);
    }
  });

  it('show nothing of another customer', async () => {
    const other = await server.addCustomer({ name: 'Other' });
    const mine = await readLists(server);
    expect(Object.values(mine).flat().length).toBeGreaterThan(0);
    const theirs = await readLists(server, other);
    expect(Object.values(theirs).flat()).toEqual([]);
  });

  it('list at most 1000 conferences and say when more were left off', async () => {
    const local = await startTestServer();
    try {
      const customer = local.credentials.customer;
      const rows = Array.from({ length: 1001 }, (_, i) => ({
        uid: `BULK${String(i).padStart(12, '0')}`,
        customer_uid: customer,
        name: `Bulk ${i}`,
        did: '',
        reserved: 0,
        recording: 0,
        greenroom: 0,
        background_music: 0,
        reminder: 0,
        security_token: 'x',
        settings: '[]',
        created_at: testEpoch - i * minute,
      }));
      const { db } = local.services.store;
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto('conferences')
          .values(rows.slice(i, i + 200))
          .execute();
      const answer = await local.call('getPossibleConference');
      expect(answer.code).toBe(0);
      expect(answer.message).toBe('more than 1000 conferences are IDLE; the first 1000 are listed');
      expect(answer.value.conference).toHaveLength(1000);
      // Newest reservationless conference first.
      expect(answer.value.conference[0].UID).toBe('BULK000000000000');
      expect(answer.value.conference[999].UID).toBe('BULK000000000999');
    } finally {
      await local.close();
    }
  });
});

describe('the lifecycle of a reserved conference, on a fake clock', () => {
  it('goes SCHED → IDLE 15 minutes before start → CLOSED after its end → CANCEL, always in exactly one list', async () => {
    const server = await startTestServer();
    try {
      const status = async (uid: string) => (await server.call('getConference', { conferenceUID: uid })).value;
      // Two reservations: 2026-01-16 10:00–11:00 and 14:00–14:30 UTC.
      const uid = await createReservedConference(server, [
        { startDate: '2026.01.16 10:00:00', duration: 60 },
        { startDate: '2026.01.16 14:00:00', duration: 30 },
      ]);
      const at = (h: number, m: number, s = 0) => server.clock.set(Date.UTC(2026, 0, 16, h, m, s));

      expect((await status(uid)).status).toBe('SCHED');
      expect(await listHolding(server, uid)).toBe('getUpcomingConference');

      at(9, 44, 59);
      expect((await status(uid)).status).toBe('SCHED');
      expect(await listHolding(server, uid)).toBe('getUpcomingConference');

      at(9, 45);
      expect(await status(uid)).toMatchObject({
        status: 'IDLE',
        scheduledStartTime: 'Fri Jan 16 10:00:00 UTC 2026',
        scheduledEndTime: 'Fri Jan 16 11:00:00 UTC 2026',
      });
      expect(await listHolding(server, uid)).toBe('getPossibleConference');

      at(10, 59, 59);
      expect(await listHolding(server, uid)).toBe('getPossibleConference');

      // Between the two reservations it is upcoming again, showing the next one.
      at(11, 0);
      expect(await status(uid)).toMatchObject({
        status: 'SCHED',
        scheduledStartTime: 'Fri Jan 16 14:00:00 UTC 2026',
      });
      expect(await listHolding(server, uid)).toBe('getUpcomingConference');

      at(13, 45);
      expect(await listHolding(server, uid)).toBe('getPossibleConference');

      at(14, 30);
      expect(await status(uid)).toMatchObject({
        status: 'CLOSED',
        scheduledStartTime: 'Fri Jan 16 14:00:00 UTC 2026',
        scheduledEndTime: 'Fri Jan 16 14:30:00 UTC 2026',
      });
      expect(await listHolding(server, uid)).toBe('getExpiredConference');

      at(20, 0);
      expect(await listHolding(server, uid)).toBe('getExpiredConference');

      expect((await server.call('cancelConference', { conference: uid })).code).toBe(0);
      expect((await status(uid)).status).toBe('CANCEL');
      expect(await listHolding(server, uid)).toBe('getCanceledConference');
    } finally {
      await server.close();
    }
  });

  it('is ACTIVE and only in getActiveConference while a call is live, whatever its reservations say', async () => {
    const server = await startTestServer();
    try {
      const uid = await createReservedConference(server, [{ startDate: '2026.01.15 17:05:00', duration: 30 }]);
      expect(await listHolding(server, uid)).toBe('getPossibleConference');
      await startCall(server, uid, 'CALL000000000002');
      expect(await listHolding(server, uid)).toBe('getActiveConference');
      server.clock.advance(2 * hour); // past the end of the reservation: still live
      expect(await listHolding(server, uid)).toBe('getActiveConference');
    } finally {
      await server.close();
    }
  });

  it('honours RESERVATION_OPEN_MINUTES', async () => {
    const server = await startTestServer({ config: { reservationOpenMinutes: 60 } });
    try {
      const uid = await createReservedConference(server, [{ startDate: '2026.01.15 18:00:00', duration: 30 }]);
      expect(await listHolding(server, uid)).toBe('getPossibleConference');
      server.clock.set(testEpoch - 1);
      expect(await listHolding(server, uid)).toBe('getUpcomingConference');
    } finally {
      await server.close();
    }
  });
});
