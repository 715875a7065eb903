/**
 * getConference's cached answer (SQLite) is reused only while it is still
 * true: its status moves with the clock at the reservation window's opening
 * and end without any write, and the customer's time zone is part of it.
 * PostgreSQL reads every request's rows; it only reuses an answer presented
 * from the same view text, and its rendered bytes, under the same rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { reservationParams } from '../../test/reservations.js';
import { openStore, sqliteExecutorOf } from '../store/database.js';
import { presentedAnswerStats } from '../store/prepared.js';

describe('getConference from the cache', () => {
  let server: TestServer;
  let conference: string;
  beforeAll(async () => {
    server = await startTestServer();
    // testEpoch is 2026-01-15 17:00 UTC: the reservation starts two hours later.
    const created = await server.call('createConferenceReserved', {
      name: 'Later today',
      ...reservationParams([{ startDate: '2026.01.15 19:00:00', duration: 60 }]),
    });
    expect(created.code).toBe(0);
    conference = created.value.UID as string;
  });
  afterAll(() => server.close());

  const get = async () => (await server.call('getConference', { conferenceUID: conference })).value;
  const minute = 60_000;
  /** Rendered answers sent again, on either database (SQLite's exact cache, PostgreSQL's presented answers). */
  const reusedCount = () =>
    (sqliteExecutorOf(server.services.store.db)?.cacheStats ?? presentedAnswerStats(server.services.store.db))
      ?.reused ?? 0;

  it('changes status when the clock passes the window opening and the end, without any write', async () => {
    const executor = sqliteExecutorOf(server.services.store.db);
    expect((await get()).status).toBe('SCHED');
    const hits = executor?.cacheStats.hits ?? 0;
    expect((await get()).status).toBe('SCHED');
    if (executor) expect(executor.cacheStats.hits).toBeGreaterThan(hits);
    // The window opens 15 minutes before the start (RESERVATION_OPEN_MINUTES).
    server.clock.set(testEpoch + 105 * minute - 1);
    expect((await get()).status).toBe('SCHED');
    server.clock.set(testEpoch + 105 * minute);
    expect((await get()).status).toBe('IDLE');
    server.clock.set(testEpoch + 180 * minute - 1);
    expect((await get()).status).toBe('IDLE');
    server.clock.set(testEpoch + 180 * minute);
    const closed = await get();
    expect(closed.status).toBe('CLOSED');
    expect(closed.scheduledStartTime).toBe('Thu Jan 15 19:00:00 UTC 2026');
  });

  it('sends the status the clock gives in reused JSON and XML bytes, never the bytes of an answer past its time', async () => {
    const uid = (
      await server.call('createConferenceReserved', {
        name: 'Bytes',
        ...reservationParams([{ startDate: '2026.01.16 19:00:00', duration: 60 }]),
      })
    ).value.UID as string;
    const xml = () => server.callXml('getConference', { conferenceUID: uid });
    const json = async () => JSON.stringify(await server.call('getConference', { conferenceUID: uid }));
    server.clock.set(testEpoch + 24 * 60 * minute);
    const sched = [await xml(), await json()];
    expect(sched[0]).toContain('<status>SCHED</status>');
    const reused = reusedCount();
    expect([await xml(), await json()]).toEqual(sched);
    expect(reusedCount()).toBe(reused + 2);
    // The window opens at 18:45 the next day: the cached bytes say SCHED, the answer must not.
    server.clock.set(testEpoch + 24 * 60 * minute + 105 * minute);
    const idle = [await xml(), await json()];
    expect(idle[0]).toContain('<status>IDLE</status>');
    expect(idle[1]).toContain('"status":"IDLE"');
    expect([await xml(), await json()]).toEqual(idle);
  });

  it("sends getConferenceData's reused bytes only until another connection changes a person", async () => {
    const uid = (await server.call('createConferenceReservationless', { name: 'Reused bytes' })).value.UID as string;
    const added = await server.call('addPerson', { conference: uid, role: 'PARTICIPANT', name: 'Bo' });
    expect(added.code).toBe(0);
    const json = async () => JSON.stringify(await server.call('getConferenceData', { conferenceUID: uid }));
    const xml = () => server.callXml('getConferenceData', { conferenceUID: uid });
    const first = [await json(), await xml()];
    expect(first[0]).toContain('"name":"Bo"');
    expect(first[1]).toContain('<name>Bo</name>');
    const reused = reusedCount();
    expect([await json(), await xml()]).toEqual(first);
    expect(reusedCount()).toBe(reused + 2);
    const other = openStore(server.database.url);
    try {
      await other.db.updateTable('persons').set({ name: 'Bo Ek' }).where('uid', '=', added.value.UID).execute();
    } finally {
      await other.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    const changed = [await json(), await xml()];
    expect(changed).toEqual(first.map((answer) => answer.replace('Bo', 'Bo Ek')));
    // Rendered anew for the new rows, then reused again.
    const renderedAgain = reusedCount();
    expect([await json(), await xml()]).toEqual(changed);
    expect(reusedCount()).toBe(renderedAgain + 2);
  });

  it("shows the times in the customer's new time zone on the next call", async () => {
    expect((await get()).scheduledStartTime).toBe('Thu Jan 15 19:00:00 UTC 2026');
    const updated = await server.call('updateCustomer', { field: 'timeZone', value: 'America/New_York' });
    expect(updated.code).toBe(0);
    expect((await get()).scheduledStartTime).toBe('Thu Jan 15 14:00:00 EST 2026');
  });

  it("shows another connection's change to a person or a person's custom value in the next getConferenceData", async () => {
    const executor = sqliteExecutorOf(server.services.store.db);
    const conference = (await server.call('createConferenceReservationless', { name: 'Open' })).value.UID as string;
    const added = await server.call('addPerson', { conference, role: 'PARTICIPANT', name: 'Ann' });
    expect(added.code).toBe(0);
    const data = async () => (await server.call('getConferenceData', { conferenceUID: conference })).value;
    expect([(await data()).person].flat().map((p: { name: string }) => p.name)).toEqual(['Ann']);
    const hits = executor?.cacheStats.hits ?? 0;
    const again = await data();
    if (executor) expect(executor.cacheStats.hits).toBeGreaterThan(hits);
    expect(again.status).toBe('IDLE');
    const other = openStore(server.database.url);
    try {
      await other.db.updateTable('persons').set({ name: 'Ann Lee' }).where('uid', '=', added.value.UID).execute();
      await new Promise((resolve) => setImmediate(resolve));
      expect([(await data()).person].flat()[0].name).toBe('Ann Lee');
      await other.db
        .insertInto('custom_values')
        .values({
          customer_uid: server.credentials.customer,
          object_type: 'person',
          object_uid: added.value.UID,
          key: 'badge',
          value: '7',
        })
        .execute();
      await new Promise((resolve) => setImmediate(resolve));
      expect([(await data()).person].flat()[0].custom).toEqual([{ key: 'badge', value: '7' }]);
    } finally {
      await other.close();
    }
  });
});
