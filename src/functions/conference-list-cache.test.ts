/**
 * The lists' cached answers (SQLite) are reused only while still true: a
 * conference moves between lists when its reservation window opens or its
 * reservation ends, with no write at all — also into a list whose cached
 * answer did not hold it — and any change to the customer's conferences,
 * reservations or a listed conference's persons is in the next answer.
 * PostgreSQL has no list cache: the same answers, and no hit counters to check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testEpoch, type TestServer } from '../../test/harness.js';
import { reservationParams } from '../../test/reservations.js';
import { openStore, sqliteExecutorOf } from '../store/database.js';

const minute = 60_000;

describe('the conference lists from the cache', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const uids = async (fn: string, params: Record<string, string> = {}) => {
    const answer = await server.call(fn, params);
    expect(answer.code).toBe(0);
    return [answer.value.conference ?? []].flat().map((c: { UID: string }) => c.UID);
  };
  // Every cached read counts (authentication too): a list answered from the cache adds no miss.
  const misses = () => sqliteExecutorOf(server.services.store.db)?.cacheStats.misses ?? 0;
  const onSqlite = () => sqliteExecutorOf(server.services.store.db) !== undefined;

  it('moves a conference from upcoming to possible to expired as the clock passes its window, without any write', async () => {
    server.clock.set(testEpoch);
    // testEpoch is 2026-01-15 17:00 UTC: the reservation starts two hours later, for an hour.
    const created = await server.call('createConferenceReserved', {
      name: 'Later today',
      ...reservationParams([{ startDate: '2026.01.15 19:00:00', duration: 60 }]),
    });
    expect(created.code).toBe(0);
    const uid = created.value.UID as string;
    // Each list read once, so all three answers are cached while the conference is SCHED.
    expect(await uids('getUpcomingConference')).toContain(uid);
    expect(await uids('getPossibleConference')).not.toContain(uid);
    expect(await uids('getExpiredConference')).not.toContain(uid);
    const before = misses();
    expect(await uids('getUpcomingConference')).toContain(uid);
    expect(await uids('getPossibleConference')).not.toContain(uid);
    if (onSqlite()) expect(misses()).toBe(before);

    // The window opens 15 minutes before the start (RESERVATION_OPEN_MINUTES).
    server.clock.set(testEpoch + 105 * minute - 1);
    expect(await uids('getUpcomingConference')).toContain(uid);
    expect(await uids('getPossibleConference')).not.toContain(uid);
    server.clock.set(testEpoch + 105 * minute);
    expect(await uids('getUpcomingConference')).not.toContain(uid);
    expect(await uids('getPossibleConference')).toContain(uid);
    // The expired list's cached answer never held it: it must still see it arrive at the end.
    server.clock.set(testEpoch + 180 * minute - 1);
    expect(await uids('getPossibleConference')).toContain(uid);
    expect(await uids('getExpiredConference')).not.toContain(uid);
    server.clock.set(testEpoch + 180 * minute);
    expect(await uids('getPossibleConference')).not.toContain(uid);
    expect(await uids('getExpiredConference')).toContain(uid);
    server.clock.set(testEpoch);
  });

  it("shows another connection's new, canceled and moved conference and a listed conference's new person in the next list", async () => {
    server.clock.set(testEpoch);
    const later = { name: 'Next week', ...reservationParams([{ startDate: '2026.01.22 10:00:00', duration: 60 }]) };
    const a = (await server.call('createConferenceReserved', later)).value.UID as string;
    expect(await uids('getUpcomingConference')).toContain(a);
    const other = openStore(server.database.url);
    try {
      // Created by another connection: copy A's rows under a new UID.
      const b = 'LISTCACHEB000001';
      const row = await other.db.selectFrom('conferences').selectAll().where('uid', '=', a).executeTakeFirstOrThrow();
      await other.db
        .insertInto('conferences')
        .values({ ...row, uid: b, security_token: `${row.security_token}B` })
        .execute();
      const reservation = await other.db
        .selectFrom('reservations')
        .selectAll()
        .where('conference_uid', '=', a)
        .executeTakeFirstOrThrow();
      await other.db
        .insertInto('reservations')
        .values({ ...reservation, uid: 'LISTCACHER000001', conference_uid: b })
        .execute();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await uids('getUpcomingConference')).toEqual(expect.arrayContaining([a, b]));
      const canceled = await uids('getCanceledConference');
      expect(canceled).not.toContain(b);

      // Canceled by another connection.
      await other.db.updateTable('conferences').set({ canceled_at: testEpoch }).where('uid', '=', b).execute();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await uids('getUpcomingConference')).not.toContain(b);
      expect(await uids('getCanceledConference')).toContain(b);

      // A's reservation moved into the past by another connection: A is expired now.
      expect(await uids('getExpiredConference')).not.toContain(a);
      await other.db
        .updateTable('reservations')
        .set({ start_at: testEpoch - 120 * minute, end_at: testEpoch - 60 * minute })
        .where('conference_uid', '=', a)
        .execute();
      await other.db
        .updateTable('conferences')
        .set({ last_end: testEpoch - 60 * minute })
        .where('uid', '=', a)
        .execute();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await uids('getUpcomingConference')).not.toContain(a);
      expect(await uids('getExpiredConference')).toContain(a);
    } finally {
      await other.close();
    }

    // A person added to a listed conference is in the next answer's person UIDs.
    const c = (await server.call('createConferenceReserved', later)).value.UID as string;
    const listed = async () => {
      const answer = await server.call('getUpcomingConference');
      return [answer.value.conference].flat().find((item: { UID: string }) => item.UID === c);
    };
    expect([(await listed()).persons].flat()).toEqual([]);
    const person = await server.call('addPerson', { conference: c, role: 'PARTICIPANT', name: 'Ann' });
    expect(person.code).toBe(0);
    expect([(await listed()).persons].flat()).toEqual([person.value.UID]);
  });

  it('keeps pages apart and refuses a bad cursor as before', async () => {
    const first = await server.call('getUpcomingConference', { limit: 1 });
    expect(first.code).toBe(0);
    expect([first.value.conference].flat()).toHaveLength(1);
    const whole = await uids('getUpcomingConference');
    expect(whole.length).toBeGreaterThan(1);
    const second = await server.call('getUpcomingConference', { limit: 1, cursor: first.value.nextCursor });
    expect(second.code).toBe(0);
    expect([second.value.conference].flat()[0].UID).toBe(whole[1]);
    expect((await server.call('getUpcomingConference', { limit: 1 })).value).toEqual(first.value);
    const bad = await server.call('getUpcomingConference', { limit: 1, cursor: 'not-a-cursor' });
    expect(bad.code).toBe(-2);
  });

  it("shows the times in the customer's new time zone on the next list", async () => {
    const [uid] = await uids('getUpcomingConference', { limit: '1' });
    const shown = async () =>
      [(await server.call('getUpcomingConference')).value.conference]
        .flat()
        .find((item: { UID: string }) => item.UID === uid).scheduledStartTime as string;
    expect(await shown()).toMatch(/UTC/);
    expect((await server.call('updateCustomer', { field: 'timeZone', value: 'America/New_York' })).code).toBe(0);
    expect(await shown()).toMatch(/EST/);
    expect((await server.call('updateCustomer', { field: 'timeZone', value: 'UTC' })).code).toBe(0);
  });
});
