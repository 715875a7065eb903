/**
 * Per-object cache invalidation on SQLite: the change log written by
 * triggers (migration 010) tells each process which objects another
 * connection changed, and only their cached answers are dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { reservationParams } from '../../test/reservations.js';
import { pruneChangeLog } from './change-log.repository.js';
import { findCustomer } from './customer.repository.js';
import { openStore, sqliteExecutorOf, type Store } from './database.js';
import type { SqliteExecutor } from './sqlite-executor.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the change log and per-object cache invalidation (SQLite)', () => {
  // SQLite's mechanism: on a SQLite file under either test run.
  let database: TestDatabase;
  let server: TestServer;
  /** Another connection with its own executor: what another process does. */
  let other: Store;
  let executor: SqliteExecutor;
  let a: string;
  let b: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    server = await startTestServer({ database });
    other = openStore(server.database.url);
    executor = sqliteExecutorOf(server.services.store.db)!;
    a = await createConference(server, { name: 'A' });
    b = await createConference(server, { name: 'B' });
  });
  afterAll(async () => {
    await other?.close();
    await server?.close();
    await database?.drop();
  });

  const getConference = async (uid: string) => {
    const answer = await server.call('getConference', { conferenceUID: uid });
    expect(answer.code).toBe(0);
    return answer.value;
  };
  /** Reads both conferences until they are answered from the cache, and returns the misses so far. */
  const warm = async () => {
    await getConference(a);
    await getConference(b);
    await nextTurn();
    const misses = executor.cacheStats.misses;
    await getConference(a);
    await getConference(b);
    expect(executor.cacheStats.misses).toBe(misses);
    return misses;
  };
  const logSince = async (seq: number) =>
    (
      await other.db
        .selectFrom('change_log' as never)
        .select(['seq' as never, 'scope' as never])
        .where('seq' as never, '>', seq as never)
        .orderBy('seq' as never)
        .execute()
    ).map((r) => (r as { scope: string }).scope);
  const newestSeq = async () =>
    Number(
      (
        (await other.db
          .selectFrom('change_log' as never)
          .select((eb) => eb.fn.max('seq' as never).as('n'))
          .executeTakeFirstOrThrow()) as { n: number }
      ).n,
    );

  it("drops conference A's answers on another connection's commit to A, and keeps B's", async () => {
    await warm();
    await other.db.updateTable('conferences').set({ name: 'A renamed' }).where('uid', '=', a).execute();
    await nextTurn();
    const misses = executor.cacheStats.misses;
    expect((await getConference(a)).name).toBe('A renamed');
    expect(executor.cacheStats.misses).toBeGreaterThan(misses);
    const afterA = executor.cacheStats.misses;
    const hits = executor.cacheStats.hits;
    expect((await getConference(b)).name).toBe('B');
    expect(executor.cacheStats.misses).toBe(afterA);
    expect(executor.cacheStats.hits).toBeGreaterThan(hits);
  });

  it('drops nothing for a commit to a table no cached read depends on', async () => {
    await warm();
    const { dropped, cleared } = executor.cacheStats;
    const seq = await newestSeq();
    await other.db
      .insertInto('throttle_counters')
      .values({ scope: 'test', key: 'k', window_start: 0, hits: 1, expires_at: 1 })
      .execute();
    expect(await logSince(seq)).toEqual([]);
    await nextTurn();
    const misses = executor.cacheStats.misses;
    await getConference(a);
    await getConference(b);
    expect(executor.cacheStats.misses).toBe(misses);
    expect(executor.cacheStats.dropped).toBe(dropped);
    expect(executor.cacheStats.cleared).toBe(cleared);
  });

  it("shows a reservation, person, call list or custom value another connection changed in A's next answer", async () => {
    await warm();
    const person = await server.call('addPerson', { conference: a, role: 'PARTICIPANT', name: 'Ann' });
    expect(person.code).toBe(0);
    expect((await getConference(a)).persons).toEqual([person.value.UID]);
    await nextTurn();
    await other.db
      .insertInto('custom_values')
      .values({
        customer_uid: server.credentials.customer,
        object_type: 'conference',
        object_uid: a,
        key: 'k',
        value: 'v',
      })
      .execute();
    await nextTurn();
    expect((await getConference(a)).custom).toEqual([{ key: 'k', value: 'v' }]);
    await other.db.deleteFrom('persons').where('uid', '=', person.value.UID).execute();
    await nextTurn();
    expect((await getConference(a)).persons).toEqual([]);
  });

  it("logs a person's custom value under the person and its conference", async () => {
    const person = await server.call('addPerson', { conference: b, role: 'PARTICIPANT', name: 'Bo' });
    const seq = await newestSeq();
    await other.db
      .insertInto('custom_values')
      .values({
        customer_uid: server.credentials.customer,
        object_type: 'person',
        object_uid: person.value.UID,
        key: 'badge',
        value: '7',
      })
      .execute();
    expect(await logSince(seq)).toEqual([person.value.UID, b]);
    const data = await server.call('getConferenceData', { conferenceUID: b });
    expect([data.value.person].flat()[0].custom).toEqual([{ key: 'badge', value: '7' }]);
  });

  it('logs every table a cached read depends on, whoever writes', async () => {
    const customer = server.credentials.customer;
    const seq = await newestSeq();
    await other.db.updateTable('customers').set({ name: 'Renamed' }).where('uid', '=', customer).execute();
    await other.db.updateTable('api_keys').set({ created_at: 1 }).where('customer_uid', '=', customer).execute();
    await other.db.updateTable('reservations').set({ estimated_callers: 3 }).where('conference_uid', '=', a).execute();
    await other.db.updateTable('calls').set({ ended_at: 1 }).where('conference_uid', '=', a).execute();
    // A's reservationless reservation (its conference, and its customer's lists: migration 011); A has no calls.
    expect(await logSince(seq)).toEqual([customer, customer, `lists:${customer}`, a]);
    const reserved = (
      await server.call('createConferenceReserved', {
        name: 'R',
        ...reservationParams([{ startDate: '2026.02.01 10:00:00', duration: 30 }]),
      })
    ).value.UID as string;
    const afterCreate = await logSince(seq);
    // The conference row, and its reservation's, each also as its customer's lists.
    expect(afterCreate.slice(4)).toEqual([`lists:${customer}`, reserved, `lists:${customer}`, reserved]);
  });

  it('drops everything when the log was pruned past what this process had seen', async () => {
    await warm();
    const { cleared } = executor.cacheStats;
    await other.db.updateTable('conferences').set({ notes: 'n1' }).where('uid', '=', a).execute();
    await other.db.updateTable('conferences').set({ notes: 'n2' }).where('uid', '=', a).execute();
    expect(await pruneChangeLog(other.db, 'sqlite', 1)).toBeGreaterThan(0);
    expect(await logSince(0)).toHaveLength(1);
    await nextTurn();
    const misses = executor.cacheStats.misses;
    await getConference(b);
    expect(executor.cacheStats.cleared).toBe(cleared + 1);
    expect(executor.cacheStats.misses).toBeGreaterThan(misses);
    // And from there on, per object again.
    await nextTurn();
    await warm();
    await other.db.updateTable('conferences').set({ notes: 'n3' }).where('uid', '=', a).execute();
    await nextTurn();
    const before = executor.cacheStats.misses;
    await getConference(b);
    expect(executor.cacheStats.misses).toBe(before);
    expect(executor.cacheStats.cleared).toBe(cleared + 1);
  });

  it('drops everything rather than read more than a batch of changes in one turn', async () => {
    await warm();
    const { cleared } = executor.cacheStats;
    const rows = Array.from({ length: 1001 }, (_, i) => ({
      customer_uid: server.credentials.customer,
      object_type: 'conference',
      object_uid: a,
      key: `bulk${i}`,
      value: 'v',
    }));
    await other.db.insertInto('custom_values').values(rows).execute();
    await nextTurn();
    const misses = executor.cacheStats.misses;
    await getConference(b);
    expect(executor.cacheStats.cleared).toBe(cleared + 1);
    expect(executor.cacheStats.misses).toBeGreaterThan(misses);
    expect((await getConference(a)).custom).toHaveLength(1002);
    await other.db.deleteFrom('custom_values').where('key', 'like', 'bulk%').execute();
  });

  it("sees another connection's commit on the next request after a cached read in the check phase", async () => {
    await warm();
    const renamed = await new Promise<string>((resolve, reject) => {
      // A setImmediate callback runs in the event loop's check phase, as a write group's continuations do: a
      // cached read there reads data_version for its turn, and the request sent next is read in the next
      // iteration's poll phase, before any setImmediate queued now runs.
      setImmediate(() => {
        void findCustomer(server.services.store.db, server.credentials.customer);
        sqliteExecutorOf(other.db)!
          .sqlite.prepare('update conferences set name = ? where uid = ?')
          .run('A, renamed in the check phase', a);
        getConference(a).then((value) => resolve(value.name as string), reject);
      });
    });
    expect(renamed).toBe('A, renamed in the check phase');
  });

  it('is pruned by the job runner to the newest rows', async () => {
    expect(await pruneChangeLog(other.db, 'sqlite', 1)).toBeGreaterThanOrEqual(0);
    // Two rows: the conference's scope and its customer's lists (migration 011); the one before them goes.
    await other.db.updateTable('conferences').set({ notes: 'p' }).where('uid', '=', b).execute();
    expect(await pruneChangeLog(other.db, 'sqlite', 1)).toBe(2);
    expect(await logSince(0)).toEqual([b]);
  });
});
