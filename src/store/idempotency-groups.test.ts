/**
 * PostgreSQL's grouped idempotency writes: the claims (and the completions)
 * of one customer that arrive together share one statement, with exactly the
 * answers separate statements would give. PostgreSQL only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { migrate, openStore, type Store } from './database.js';
import { completeIdempotencyKey, findIdempotencyKey, insertIdempotencyClaim } from './idempotency.repository.js';

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

describe.runIf(onPostgres)('idempotency claims and completions grouped per customer', () => {
  let database: TestDatabase;
  let store: Store;
  const claim = (customerUid: string, key: string, requestHash = 'h') => ({
    customerUid,
    key,
    requestHash,
    now: 1_000,
    lockedUntil: 61_000,
    expiresAt: 86_401_000,
  });
  beforeAll(async () => {
    database = await createTestDatabase();
    store = openStore(database.url, { poolMax: 4 });
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('claims each new key once: a key twice in one group goes to its first caller, a taken key to none', async () => {
    expect(await insertIdempotencyClaim(store.db, claim('CUSTOMERA0000001', 'taken'))).toBe(true);
    const answers = await Promise.all([
      insertIdempotencyClaim(store.db, claim('CUSTOMERA0000001', 'k1', 'first')),
      insertIdempotencyClaim(store.db, claim('CUSTOMERA0000001', 'k2')),
      insertIdempotencyClaim(store.db, claim('CUSTOMERA0000001', 'k1', 'second')),
      insertIdempotencyClaim(store.db, claim('CUSTOMERA0000001', 'taken')),
      insertIdempotencyClaim(store.db, claim('CUSTOMERB0000001', 'k1')),
    ]);
    expect(answers).toEqual([true, true, false, false, true]);
    expect(await findIdempotencyKey(store.db, 'CUSTOMERA0000001', 'k1')).toMatchObject({
      request_hash: 'first',
      state: 'pending',
      locked_until: 61_000,
      created_at: 1_000,
      expires_at: 86_401_000,
    });
    expect((await findIdempotencyKey(store.db, 'CUSTOMERB0000001', 'k1'))!.state).toBe('pending');
  });

  it("stores each answer on its own key, and only on its customer's", async () => {
    await Promise.all(['c1', 'c2', 'c3'].map((k) => insertIdempotencyClaim(store.db, claim('CUSTOMERC0000001', k))));
    await insertIdempotencyClaim(store.db, claim('CUSTOMERD0000001', 'c1'));
    await Promise.all([
      completeIdempotencyKey(store.db, 'CUSTOMERC0000001', 'c1', { code: 0, message: '', value: '{"a":1}' }),
      completeIdempotencyKey(store.db, 'CUSTOMERC0000001', 'c2', { code: -2, message: 'no ✓', value: null }),
    ]);
    expect(await findIdempotencyKey(store.db, 'CUSTOMERC0000001', 'c1')).toMatchObject({
      state: 'done',
      code: 0,
      value: '{"a":1}',
    });
    expect(await findIdempotencyKey(store.db, 'CUSTOMERC0000001', 'c2')).toMatchObject({
      state: 'done',
      code: -2,
      message: 'no ✓',
      value: null,
    });
    expect((await findIdempotencyKey(store.db, 'CUSTOMERC0000001', 'c3'))!.state).toBe('pending');
    expect((await findIdempotencyKey(store.db, 'CUSTOMERD0000001', 'c1'))!.state).toBe('pending');
  });

  it('runs each of a refused group alone: the failing one fails, the others are stored', async () => {
    await Promise.all(['r1', 'r2'].map((k) => insertIdempotencyClaim(store.db, claim('CUSTOMERE0000001', k))));
    // PostgreSQL refuses a NUL in text; nothing the API accepts carries one.
    const settled = await Promise.allSettled([
      completeIdempotencyKey(store.db, 'CUSTOMERE0000001', 'r1', { code: 0, message: '', value: '1' }),
      completeIdempotencyKey(store.db, 'CUSTOMERE0000001', 'r2', { code: 0, message: 'a\u0000b', value: '2' }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect((await findIdempotencyKey(store.db, 'CUSTOMERE0000001', 'r1'))!.state).toBe('done');
    expect((await findIdempotencyKey(store.db, 'CUSTOMERE0000001', 'r2'))!.state).toBe('pending');
  });
});
