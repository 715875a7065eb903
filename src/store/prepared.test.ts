/**
 * The SQLite cache's reads by one parameter (prepared.ts `cachedRows`): each
 * parameter value is answered with its own rows, from the cache once read,
 * and a change through another connection is seen on the next read — also
 * after more parameter values than the per-statement key memo holds.
 * SQLite only: PostgreSQL reads every time.
 */
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { findCustomer } from './customer.repository.js';
import { requestArrived } from './prepared.js';

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

describe.skipIf(onPostgres)('cached reads by one parameter (SQLite)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers each value its own rows, cached, and sees another connection’s change, past the key memo’s bound', async () => {
    const db = server.services.store.db;
    const first = server.credentials.customer;
    const second = (await server.addCustomer({})).customer;
    const read = async (uid: string) => {
      requestArrived(db);
      return await findCustomer(db, uid);
    };
    const a = await read(first);
    const b = await read(second);
    expect(a?.uid).toBe(first);
    expect(b?.uid).toBe(second);
    // Held: the very same (frozen) row, in the same turn.
    requestArrived(db);
    expect(findCustomer(db, first)).toBe(a);
    // More values than the memo of keys holds (10,000): it starts again, and every value still gets its own rows.
    for (let i = 0; i < 10_050; i++) expect(await read(`CNOSUCH${String(i).padStart(8, '0')}`)).toBeUndefined();
    expect((await read(first))?.uid).toBe(first);
    expect((await read(second))?.uid).toBe(second);
    const other = new SqliteDatabase(server.database.url);
    try {
      other.prepare('update customers set name = ? where uid = ?').run('Renamed elsewhere', second);
    } finally {
      other.close();
    }
    expect((await read(second))?.name).toBe('Renamed elsewhere');
    expect((await read(first))?.name).toBe(a?.name);
  });
});
