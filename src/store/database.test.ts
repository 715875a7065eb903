import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import pg from 'pg';
import { inTransaction, migrate, openStore, postgresPoolOf, type Store } from './database.js';

describe('openStore and migrate', () => {
  let database: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    database = await createTestDatabase();
    store = openStore(database.url, { poolMax: 4 });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('picks the dialect from the URL and migrates an empty database; a second migrate changes nothing', async () => {
    expect(store.dialect).toBe(database.dialect);
    await migrate(store);
    await migrate(store);
    const applied = await store.db
      .selectFrom('kysely_migration' as any)
      .select('name')
      .execute();
    expect(applied.map((r: any) => r.name)).toContain('001-core');
  });

  it('says the database cannot be reached, not that a migration failed, when no connection opens', async () => {
    // A port nothing listens on (1: tcpmux, never served here); the password must not be quoted.
    const unreachable = openStore('postgres://baton:not-the-password@127.0.0.1:1/baton', { connectTimeoutMs: 2000 });
    try {
      const failure = await migrate(unreachable).then(
        () => null,
        (error: unknown) => error as Error,
      );
      expect(failure?.message).toMatch(/^cannot reach the database to migrate it: .*ECONNREFUSED/);
      expect(failure?.message).not.toContain('not-the-password');
    } finally {
      await unreachable.close();
    }
  });

  it('reads instants stored as bigint back as numbers', async () => {
    const at = Date.UTC(2030, 0, 1);
    await store.db
      .insertInto('customers')
      .values({
        uid: 'INSTANTCHECK0001',
        name: 'n',
        status: 'ACTIVE',
        did: '',
        time_zone: 'UTC',
        recording: 0,
        greenroom: 0,
        background_music: 0,
        reminder: 1,
        place_call: 0,
        created_at: at,
      })
      .execute();
    const row = await store.db
      .selectFrom('customers')
      .select(['id', 'created_at'])
      .where('uid', '=', 'INSTANTCHECK0001')
      .executeTakeFirstOrThrow();
    expect(row.created_at).toBe(at);
    expect(typeof row.id).toBe('number');
  });
});

describe.skipIf(!process.env.BATON_TEST_PG_URL)(
  'inTransaction on PostgreSQL (skipped: needs BATON_TEST_PG_URL)',
  () => {
    let database: TestDatabase;
    let store: Store;
    beforeAll(async () => {
      database = await createTestDatabase();
      store = openStore(database.url, { poolMax: 4 });
      await migrate(store);
      for (const uid of ['DEADLOCKA0000000', 'DEADLOCKB0000000']) {
        await store.db
          .insertInto('customers')
          .values({
            uid,
            name: 'n',
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
      }
    });
    afterAll(async () => {
      await store.close();
      await database.drop();
    });

    it('runs a transaction again when PostgreSQL aborts it as a deadlock victim, so both writers succeed', async () => {
      // Two transactions lock A and B in opposite orders, each waiting for the other's first lock: a deadlock.
      let runs = 0;
      const firstLocks: Promise<void>[] = [];
      const signals: (() => void)[] = [];
      for (let i = 0; i < 2; i++) firstLocks.push(new Promise<void>((resolve) => (signals[i] = resolve)));
      const writer = (me: number, first: string, second: string) =>
        inTransaction(store.db, async (trx) => {
          const attempt = ++runs;
          await sql`update customers set name = name || ${String(me)} where uid = ${first}`.execute(trx);
          if (attempt <= 2) {
            signals[me]!();
            await firstLocks[1 - me];
          }
          await sql`update customers set name = name || ${String(me)} where uid = ${second}`.execute(trx);
        });
      await Promise.all([
        writer(0, 'DEADLOCKA0000000', 'DEADLOCKB0000000'),
        writer(1, 'DEADLOCKB0000000', 'DEADLOCKA0000000'),
      ]);
      expect(runs).toBe(3);
      const names = await store.db
        .selectFrom('customers')
        .select('name')
        .where('uid', 'in', ['DEADLOCKA0000000', 'DEADLOCKB0000000'])
        .execute();
      // Each row got one mark from each writer: nothing half-written by the aborted attempt.
      for (const { name } of names) expect([...name.slice(1)].sort().join('')).toBe('01');
    });

    it('lets a non-retryable error through at once', async () => {
      let runs = 0;
      await expect(
        inTransaction(store.db, async (trx) => {
          runs++;
          await sql`select 1/0`.execute(trx);
        }),
      ).rejects.toMatchObject({ code: '22012' });
      expect(runs).toBe(1);
    });
  },
);

describe.skipIf(!process.env.BATON_TEST_PG_URL)(
  "the store's PostgreSQL sessions (skipped: needs BATON_TEST_PG_URL)",
  () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase('postgres');
    });
    afterAll(async () => {
      await database.drop();
    });

    /** Whether `client` JIT-compiles a statement when every plan counts as costly enough. */
    async function compiles(client: pg.ClientBase): Promise<boolean> {
      await client.query('begin');
      try {
        await client.query('set local jit_above_cost = 0');
        const { rows } = await client.query<{ 'QUERY PLAN': [Record<string, unknown>] }>(
          'explain (analyze, format json) select sum(g) from generate_series(1, 10) g',
        );
        return 'JIT' in rows[0]!['QUERY PLAN'][0]!;
      } finally {
        await client.query('rollback');
      }
    }

    it('never JIT-compiles a statement, where a plain connection to the same server does', async () => {
      const store = openStore(database.url, { poolMax: 1 });
      const plain = new pg.Client({ connectionString: database.url });
      await plain.connect();
      try {
        const own = await postgresPoolOf(store.db)!.connect();
        try {
          expect((await own.query('show jit')).rows[0].jit).toBe('off');
          expect(await compiles(own)).toBe(false);
        } finally {
          own.release();
        }
        // The control: this server compiles when JIT is on (unless it was built without it).
        const available = (await plain.query('select pg_jit_available() as a')).rows[0].a as boolean;
        if (available) expect(await compiles(plain)).toBe(true);
      } finally {
        await plain.end();
        await store.close();
      }
    });

    it("keeps the options a URL names as written (the operator's choice)", async () => {
      const url = new URL(database.url);
      url.searchParams.set('options', '-c jit_above_cost=12345');
      const store = openStore(url.toString(), { poolMax: 1 });
      try {
        const own = await postgresPoolOf(store.db)!.connect();
        try {
          expect((await own.query('show jit_above_cost')).rows[0].jit_above_cost).toBe('12345');
        } finally {
          own.release();
        }
      } finally {
        await store.close();
      }
    });
  },
);
