import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { inTransaction, migrate, openStore, sqliteExecutorOf, type Store } from './database.js';

describe('SQLite group commit', () => {
  let database: TestDatabase;
  let store: Store;
  let other: SqliteDatabase.Database;

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    store = openStore(database.url);
    await migrate(store);
    // Another connection to the same file: what any other process would see.
    other = new SqliteDatabase(database.url, { readonly: true });
  });
  afterEach(async () => {
    other.close();
    await store.close();
    await database.drop();
  });

  const addCustomer = (uid: string) =>
    inTransaction(store.db, async (trx) => {
      await trx
        .insertInto('customers')
        .values({
          uid,
          name: uid,
          status: 'ACTIVE',
          did: '',
          time_zone: 'UTC',
          recording: 0,
          greenroom: 0,
          background_music: 0,
          reminder: 1,
          place_call: 0,
          created_at: 0,
        })
        .execute();
      if (uid.startsWith('FAIL')) throw new Error(`refused ${uid}`);
      return uid;
    });
  const committed = () => other.prepare('select uid from customers order by uid').pluck().all();

  it('commits the writes of one turn together; a failing one rolls back only itself', async () => {
    const executor = sqliteExecutorOf(store.db)!;
    const before = executor.commits;
    const seenAtAnswer: unknown[][] = [];
    const writes = ['A1', 'FAIL1', 'A2', 'A3'].map((uid) =>
      addCustomer(uid).then(
        (value) => {
          // No answer before its COMMIT: another connection sees the row already.
          seenAtAnswer.push(committed());
          return value;
        },
        (error: Error) => error.message,
      ),
    );
    expect(await Promise.all(writes)).toEqual(['A1', 'refused FAIL1', 'A2', 'A3']);
    expect(executor.commits - before).toBe(1);
    expect(committed()).toEqual(['A1', 'A2', 'A3']);
    for (const seen of seenAtAnswer) expect(seen).toEqual(['A1', 'A2', 'A3']);
  });

  it('starts a new group for writes that arrive while one is committing', async () => {
    const executor = sqliteExecutorOf(store.db)!;
    const before = executor.commits;
    const first = addCustomer('B1');
    await new Promise((resolve) => setImmediate(resolve));
    const second = addCustomer('B2');
    expect(await Promise.all([first, second])).toEqual(['B1', 'B2']);
    expect(executor.commits - before).toBe(2);
    expect(committed()).toEqual(['B1', 'B2']);
  });

  it('retries on a later turn while another process holds the write lock, without blocking reads', async () => {
    const writer = new SqliteDatabase(database.url);
    writer.exec('BEGIN IMMEDIATE');
    const write = addCustomer('C1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The event loop is free: a read through the store answers while the write waits.
    const rows = await store.db.selectFrom('customers').select('uid').execute();
    expect(rows).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    writer.exec('COMMIT');
    writer.close();
    expect(await write).toBe('C1');
    expect(committed()).toEqual(['C1']);
  });
});
