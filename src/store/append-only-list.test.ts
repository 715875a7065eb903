/**
 * A conference's person-UID list after persons were added by another
 * connection (migration 015): read from the last person this process had
 * instead of in full, and read in full after any other change; either way
 * exactly what the database holds, and getConference's bytes the same as a
 * process with nothing cached renders.
 */
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { createConference, startTestServer, type TestServer } from '../../test/harness.js';
import { sqliteExecutorOf } from './database.js';
import { listPersonUids } from './person.repository.js';
import type { SqliteExecutor } from './sqlite-executor.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("a conference's person UIDs after another connection's changes (SQLite)", () => {
  let database: TestDatabase;
  let server: TestServer;
  /** Another connection: what another process (a worker, the CLI) writes. */
  let other: SqliteDatabase.Database;
  let executor: SqliteExecutor;
  let conference: string;
  let copyPerson: SqliteDatabase.Statement;
  let counter = 0;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    server = await startTestServer({ database });
    executor = sqliteExecutorOf(server.services.store.db)!;
    other = new SqliteDatabase(server.database.url);
    conference = await createConference(server);
    for (let i = 0; i < 5; i++) {
      const answer = await server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` });
      expect(answer.code).toBe(0);
    }
    // A person inserted by the other connection: a copy of one of the conference's, under a new UID.
    const columns = (other.prepare('select name from pragma_table_info(?)').pluck().all('persons') as string[]).filter(
      (c) => c !== 'id' && c !== 'uid',
    );
    copyPerson = other.prepare(
      `insert into persons (uid, ${columns.join(', ')}) select ?, ${columns.join(', ')} from persons
       where conference_uid = ? order by id limit 1`,
    );
  });
  afterAll(async () => {
    other?.close();
    await server?.close();
    await database?.drop();
  });

  const truth = () =>
    other.prepare('select uid from persons where conference_uid = ? order by id').pluck().all(conference) as string[];
  const list = () => listPersonUids(server.services.store.db, server.credentials.customer, conference);
  const addElsewhere = () => copyPerson.run(`ZZAPPENDED${String(counter++).padStart(6, '0')}`, conference);
  /** The list read and cached, as the next request would find it. */
  const warm = async () => {
    await nextTurn();
    expect(await list()).toEqual(truth());
    await nextTurn();
  };

  it("logs a person's insert with its id, and every other change without one", () => {
    const before = other.prepare('select max(seq) from change_log').pluck().get() as number;
    const { lastInsertRowid } = addElsewhere();
    other.prepare('update persons set name = ? where id = ?').run('Renamed', lastInsertRowid);
    const rows = other.prepare('select scope, person_id from change_log where seq > ? order by seq').all(before);
    expect(rows).toEqual([
      { scope: conference, person_id: Number(lastInsertRowid) },
      { scope: conference, person_id: null },
    ]);
  });

  it('reads only the persons appended after the last one it had', async () => {
    await warm();
    addElsewhere();
    addElsewhere();
    await nextTurn();
    const extended = executor.cacheStats.extended;
    const uids = await list();
    expect(uids).toEqual(truth());
    expect(uids.slice(-2)).toEqual([
      `ZZAPPENDED${String(counter - 2).padStart(6, '0')}`,
      `ZZAPPENDED${String(counter - 1).padStart(6, '0')}`,
    ]);
    expect(executor.cacheStats.extended).toBe(extended + 1);
  });

  it('reads the list in full after a person is removed, even with another added in the same turn', async () => {
    await warm();
    const [first] = truth();
    other.prepare('delete from persons where uid = ?').run(first);
    addElsewhere();
    await nextTurn();
    const extended = executor.cacheStats.extended;
    const uids = await list();
    expect(uids).toEqual(truth());
    expect(uids).not.toContain(first);
    expect(executor.cacheStats.extended).toBe(extended);
  });

  it('reads the list in full after a change to a person that is not an insert (its conference moved)', async () => {
    const elsewhere = await createConference(server, { name: 'Elsewhere' });
    await warm();
    const moved = truth()[0]!;
    other.prepare('update persons set conference_uid = ? where uid = ?').run(elsewhere, moved);
    await nextTurn();
    const extended = executor.cacheStats.extended;
    const uids = await list();
    expect(uids).toEqual(truth());
    expect(uids).not.toContain(moved);
    expect(executor.cacheStats.extended).toBe(extended);
  });

  it('reads in full when another connection commits after the log was applied in the same turn', async () => {
    await warm();
    addElsewhere();
    await nextTurn();
    // This turn applies the log (the insert: the list's answer dropped, the list kept)…
    await server.services.store.db.selectFrom('customers').select('uid').execute();
    expect(await list()).toEqual(truth());
    addElsewhere();
    await nextTurn();
    // …and in the next, a read of something else applies the second insert, then a removal commits at once,
    // before the list is read in the same turn: extending the kept list would still show the removed person.
    const removed = truth()[1]!;
    const applied = listPersonUids(server.services.store.db, server.credentials.customer, 'NOSUCHCONFERENCE');
    other.prepare('delete from persons where uid = ?').run(removed);
    const extended = executor.cacheStats.extended;
    const uids = await list();
    await applied;
    expect(uids).toEqual(truth());
    expect(uids).not.toContain(removed);
    expect(executor.cacheStats.extended).toBe(extended);
  });

  it("answers getConference after other connections' addPersons with the bytes a fresh process renders", async () => {
    const query = (s: TestServer) =>
      new URLSearchParams({ ...s.credentials, conferenceUID: conference, type: 'json' }).toString();
    const bytes = async (s: TestServer) => (await fetch(`${s.url}/_access/getConference?${query(s)}`)).text();
    const iterations = () => new Promise((resolve) => setTimeout(resolve, 5));
    // Whatever the tests before changed, applied and read in full.
    await iterations();
    await bytes(server);
    for (let round = 0; round < 3; round++) {
      addElsewhere();
      // A few event-loop iterations: the server's turn of the last request is over (a request of the same
      // iteration would share its data_version).
      await iterations();
      const extended = executor.cacheStats.extended;
      const answer = await bytes(server);
      expect(executor.cacheStats.extended).toBe(extended + 1);
      // A server with nothing cached on the same file, as the same customer.
      const fresh = await startTestServer({
        database,
        credentials: server.credentials,
        config: { publicUrl: server.services.config.publicUrl },
      });
      try {
        expect(answer).toBe(await bytes(fresh));
      } finally {
        await fresh.close();
      }
      expect(JSON.parse(answer).value.persons).toEqual(truth());
    }
  });
});
