import SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { findCustomer, findLiveKeyHashes, insertApiKey, revokeApiKeys } from './customer.repository.js';
import { afterCommit, inTransaction, migrate, openStore, sqliteExecutorOf, type Store } from './database.js';
import { fastAll, groupAll, groupRun, prepared } from './prepared.js';
import type { Database } from './schema.js';

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

  it('runs raw prepared statements inside a unit: in its savepoint, rolled back with it, nowhere else', async () => {
    const insert = prepared(
      'test_insert_customer',
      "insert into customers (uid, name, status, did, time_zone, recording, greenroom, background_music, reminder, place_call, created_at) values (?, ?, 'ACTIVE', '', 'UTC', 0, 0, 0, 1, 0, 0) returning uid",
    );
    const rename = prepared('test_rename_customer', 'update customers set name = ? where uid = ?');
    const byUid = prepared('test_customer_name', 'select name from customers where uid = ?');
    const executor = sqliteExecutorOf(store.db)!;
    const before = executor.commits;
    // Outside a unit of a write group there is no raw write.
    expect(groupAll(store.db, insert, ['R0', 'R0'])).toBeUndefined();
    expect(groupRun(store.db, rename, ['x', 'R0'])).toBeUndefined();
    const unit = (uid: string) =>
      inTransaction(store.db, async (trx) => {
        expect(groupAll<{ uid: string }>(trx, insert, [uid, uid])).toEqual([{ uid }]);
        expect(groupRun(trx, rename, [`${uid} renamed`, uid])).toBe(1);
        // A read in the unit sees its own writes, before the COMMIT.
        expect(await fastAll(trx, byUid, [uid])).toEqual([{ name: `${uid} renamed` }]);
        expect(committed()).not.toContain(uid);
        if (uid.startsWith('FAIL')) throw new Error(`refused ${uid}`);
        return uid;
      });
    const results = await Promise.all(
      ['R1', 'FAIL2', 'R3'].map((uid) => unit(uid).catch((error: Error) => error.message)),
    );
    expect(results).toEqual(['R1', 'refused FAIL2', 'R3']);
    expect(executor.commits - before).toBe(1);
    expect(committed()).toEqual(['R1', 'R3']);
    expect(other.prepare('select name from customers where uid = ?').pluck().get('R3')).toBe('R3 renamed');
  });

  it('a lone write (a group of one, no savepoint) that fails leaves nothing behind and commits nothing', async () => {
    const insert = prepared(
      'test_insert_customer',
      "insert into customers (uid, name, status, did, time_zone, recording, greenroom, background_music, reminder, place_call, created_at) values (?, ?, 'ACTIVE', '', 'UTC', 0, 0, 0, 1, 0, 0) returning uid",
    );
    const executor = sqliteExecutorOf(store.db)!;
    const before = executor.commits;
    // Both a raw statement and a Kysely query of the failing unit are undone.
    const lone = inTransaction(store.db, async (trx) => {
      expect(groupAll<{ uid: string }>(trx, insert, ['S1', 'S1'])).toEqual([{ uid: 'S1' }]);
      await trx.updateTable('customers').set({ name: 'renamed' }).where('uid', '=', 'S1').execute();
      throw new Error('refused S1');
    });
    await expect(lone).rejects.toThrow('refused S1');
    expect(executor.commits - before).toBe(0);
    expect(executor.sqlite.inTransaction).toBe(false);
    expect(committed()).toEqual([]);
    // A statement that fails inside the lone unit, caught by it, undoes only itself (SQLite's statement journal).
    const caught = await inTransaction(store.db, async (trx) => {
      groupAll(trx, insert, ['S2', 'S2']);
      expect(() => groupAll(trx, insert, ['S2', 'S2 again'])).toThrow(/UNIQUE/);
      return 'S2';
    });
    expect(caught).toBe('S2');
    // The next lone write commits on its own.
    expect(await addCustomer('S3')).toBe('S3');
    expect(executor.commits - before).toBe(2);
    expect(committed()).toEqual(['S2', 'S3']);
    expect(other.prepare('select name from customers where uid = ?').pluck().get('S2')).toBe('S2');
  });

  it("refuses a unit's queries once the unit is over, Kysely's and raw ones alike", async () => {
    const byUid = prepared('test_customer_uid', 'select uid from customers where uid = ?');
    let leaked: Kysely<Database> | undefined;
    await inTransaction(store.db, async (trx) => {
      leaked = trx;
      expect(groupAll(trx, byUid, ['L1'])).toEqual([]);
    });
    // A query left behind must not run in a later unit's savepoint (or outside any lock).
    await expect(leaked!.selectFrom('customers').select('uid').execute()).rejects.toThrow(/already committed/);
    expect(groupAll(leaked!, byUid, ['L1'])).toBeUndefined();
    expect(await addCustomer('L2')).toBe('L2');
    expect(committed()).toEqual(['L2']);
  });

  it('a unit cannot open a transaction of its own inside its savepoint', async () => {
    const nested = inTransaction(store.db, (trx) => trx.transaction().execute(async () => 'inner'));
    await expect(nested).rejects.toThrow();
    expect(await addCustomer('N1')).toBe('N1');
  });

  it("inTransaction on a unit's transaction is a savepoint inside the unit, committed with it", async () => {
    const insert = prepared(
      'test_insert_customer',
      "insert into customers (uid, name, status, did, time_zone, recording, greenroom, background_music, reminder, place_call, created_at) values (?, ?, 'ACTIVE', '', 'UTC', 0, 0, 0, 1, 0, 0) returning uid",
    );
    const executor = sqliteExecutorOf(store.db)!;
    const before = executor.commits;
    const hooks: string[] = [];
    const outcome = await inTransaction(store.db, async (trx) => {
      groupAll(trx, insert, ['T1', 'T1']);
      // A failing inner transaction undoes only its own writes (and drops its after-commit hooks); the unit goes on.
      const inner = await inTransaction(trx, async (t) => {
        groupAll(t, insert, ['T2', 'T2']);
        afterCommit(t, () => hooks.push('T2'));
        throw new Error('refused T2');
      }).catch((error: Error) => error.message);
      // Nested ones nest.
      const kept = await inTransaction(trx, async (t) => {
        groupAll(t, insert, ['T3', 'T3']);
        afterCommit(t, () => hooks.push('T3'));
        await inTransaction(t, async (u) => {
          groupAll(u, insert, ['T4', 'T4']);
          throw new Error('refused T4');
        }).catch(() => undefined);
        return 'T3';
      });
      // Nothing is committed until the unit is.
      expect(committed()).toEqual([]);
      expect(hooks).toEqual([]);
      return [inner, kept];
    });
    expect(outcome).toEqual(['refused T2', 'T3']);
    expect(executor.commits - before).toBe(1);
    expect(committed()).toEqual(['T1', 'T3']);
    expect(hooks).toEqual(['T3']);
    // A unit whose work fails after a successful inner transaction loses both.
    await expect(
      inTransaction(store.db, async (trx) => {
        await inTransaction(trx, async (t) => groupAll(t, insert, ['T5', 'T5']));
        throw new Error('refused T5');
      }),
    ).rejects.toThrow('refused T5');
    expect(committed()).toEqual(['T1', 'T3']);
  });

  it('forgets a transaction once it has ended: a hook asked for afterwards runs at once', async () => {
    // Each transaction's entry is deleted when it ends (not left for the
    // WeakMap to drop at a mark-compact): a hook given the ended
    // transaction finds none and runs, as outside any transaction.
    const ran: string[] = [];
    let ended: Kysely<Database> | undefined;
    await inTransaction(store.db, async (trx) => {
      ended = trx;
      afterCommit(trx, () => ran.push('inside'));
    });
    expect(ran).toEqual(['inside']);
    afterCommit(ended!, () => ran.push('after'));
    await Promise.resolve();
    expect(ran).toEqual(['inside', 'after']);
    // So does a refused one.
    await inTransaction(store.db, async (trx) => {
      ended = trx;
      throw new Error('refused');
    }).catch(() => undefined);
    afterCommit(ended!, () => ran.push('after the refusal'));
    await Promise.resolve();
    expect(ran).toEqual(['inside', 'after', 'after the refusal']);
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

  it('waits for the write gate before it begins, gathers the writes that arrive meanwhile, then hands it back', async () => {
    const executor = sqliteExecutorOf(store.db)!;
    const events: string[] = [];
    let open!: () => void;
    executor.useWriteGate({
      acquire: () => {
        events.push('acquire');
        return new Promise<void>((resolve) => (open = resolve));
      },
      release: () => events.push(`release after ${committed().join(',')}`),
    });
    const before = executor.commits;
    const first = addCustomer('G1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nothing begins while the gate is closed; reads go on.
    expect(await store.db.selectFrom('customers').select('uid').execute()).toEqual([]);
    const later = [addCustomer('G2'), addCustomer('FAIL2')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    open();
    expect(await first).toBe('G1');
    await expect(later[1]).rejects.toThrow('refused FAIL2');
    expect(await later[0]).toBe('G2');
    // One group, one turn of the gate; released only once its COMMIT is on disk.
    expect(executor.commits - before).toBe(1);
    expect(events).toEqual(['acquire', 'release after G1,G2']);
  });

  it('fails the writes waiting at a gate that refuses, and writes nothing', async () => {
    const executor = sqliteExecutorOf(store.db)!;
    executor.useWriteGate({
      acquire: () => Promise.reject(new Error('the cluster primary is gone')),
      release: () => undefined,
    });
    const writes = [addCustomer('R1'), addCustomer('R2')];
    for (const write of writes) await expect(write).rejects.toThrow('the cluster primary is gone');
    expect(committed()).toEqual([]);
  });

  it('answers busy when the write gate stays closed past the deadline, and hands a late grant straight back', async () => {
    const executor = sqliteExecutorOf(store.db)!;
    let open!: () => void;
    let released = 0;
    executor.useWriteGate({
      acquire: () => new Promise<void>((resolve) => (open = resolve)),
      release: () => released++,
    });
    const write = addCustomer('T1');
    await expect(write).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(committed()).toEqual([]);
    open();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(released).toBe(1);
  }, 20_000);

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('answers a repeated key read from its cache until another process revokes the key', async () => {
    await addCustomer('K1');
    await insertApiKey(store.db, { customer_uid: 'K1', key_hash: 'aa', key_prefix: 'aa', created_at: 0 });
    const executor = sqliteExecutorOf(store.db)!;
    expect(await findLiveKeyHashes(store.db, 'K1')).toEqual(['aa']);
    const hits = executor.cacheStats.hits;
    await nextTurn();
    expect(await findLiveKeyHashes(store.db, 'K1')).toEqual(['aa']);
    expect(executor.cacheStats.hits).toBe(hits + 1);
    // Another process (connection) revokes it: the next turn's read sees that.
    const cli = new SqliteDatabase(database.url);
    cli.prepare("update api_keys set revoked_at = 1 where customer_uid = 'K1'").run();
    cli.close();
    await nextTurn();
    expect(await findLiveKeyHashes(store.db, 'K1')).toEqual([]);
  });

  it('drops cached answers on a write of this process, and never lets a caller change a shared one', async () => {
    await addCustomer('K2');
    await insertApiKey(store.db, { customer_uid: 'K2', key_hash: 'bb', key_prefix: 'bb', created_at: 0 });
    expect(await findLiveKeyHashes(store.db, 'K2')).toEqual(['bb']);
    expect(await revokeApiKeys(store.db, 'K2', { keyHash: 'bb' }, 5)).toBe(1);
    expect(await findLiveKeyHashes(store.db, 'K2')).toEqual([]);
    const customer = (await findCustomer(store.db, 'K2'))!;
    expect(() => {
      (customer as { name: string }).name = 'changed';
    }).toThrow(TypeError);
  });
});
