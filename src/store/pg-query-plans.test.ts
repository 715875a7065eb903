/**
 * PostgreSQL's generic plans for the statements that read one conference's
 * persons, on a skewed table: one conference holding almost every person and
 * a few small ones, analyzed and not vacuumed (what a database looks like
 * while registrations pour into one conference and autovacuum has analyzed
 * it). Without migration 016's statistics the planner expected a third of
 * the table for any conference and walked `persons_pkey` or scanned
 * `persons` for each request. These checks read the plan, not a timing.
 * PostgreSQL only (SQLite's plans: query-plans.test.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.js';
import { startTestServer, type TestServer } from '../../test/harness.js';
import { conferenceDistinctFraction } from './migrations/016-pg-person-statistics.js';
import { declaredQueries } from './prepared.js';
import { requestReadStatements } from './request-read.repository.js';

const onPostgres = Boolean(process.env.BATON_TEST_PG_URL);

const customer = 'PLANCUSTOMER0001';
const big = 'PLANCONFERENCEBG';
const small = ['PLANCONFERENCE01', 'PLANCONFERENCE02', 'PLANCONFERENCE03'];
const bigPersons = 20_000;

describe.runIf(onPostgres)("generic plans of a conference's persons on a skewed table (PostgreSQL)", () => {
  let database: TestDatabase;
  let server: TestServer;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // Starting the server migrates and imports every repository, so every statement is declared.
    server = await startTestServer({ database });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(
      `insert into customers (uid, name, status, did, time_zone, recording, greenroom, background_music, reminder,
         place_call, created_at) values ($1, 'Plans', 'ACTIVE', '+15550001111', 'UTC', 0, 0, 0, 1, 0, 0)`,
      [customer],
    );
    for (const uid of [big, ...small]) {
      await client.query(
        `insert into conferences (uid, customer_uid, name, did, reserved, recording, greenroom, background_music,
           reminder, contact_email, security_token, settings, created_at)
         values ($1, $2, 'Plans', '+15550001111', 0, 0, 0, 0, 1, '', $1, '[]', 0)`,
        [uid, customer],
      );
    }
    // Almost every person in one conference, five in each small one, registered in that order.
    const persons = (conference: string, prefix: string, count: number) =>
      client.query(
        `insert into persons (uid, conference_uid, customer_uid, name, email, role, pin, created_at)
         select $2 || lpad(g::text, 12, '0'), $1, $3, 'P ' || g, '', 'PARTICIPANT', lpad(g::text, 6, '0'), g
         from generate_series(1, $4::int) g`,
        [conference, prefix, customer, count],
      );
    await persons(big, 'PLBG', bigPersons);
    for (const [i, uid] of small.entries()) await persons(uid, `PLS${i}`, 5);
    await client.query(
      `insert into pin_claims (did, pin, person_uid, conference_uid)
       select '+15550001111', uid, uid, conference_uid from persons`,
    );
    await client.query('analyze');
  });
  afterAll(async () => {
    await client?.end();
    await server?.close();
    await database?.drop();
  });

  /** The generic plan of `text` (a statement with `$n` placeholders), as EXPLAIN's lines. */
  async function genericPlan(name: string, text: string): Promise<string[]> {
    const placeholders = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    await client.query('set plan_cache_mode = force_generic_plan');
    await client.query(`prepare ${name} as ${text}`);
    try {
      const args = placeholders ? `(${new Array(placeholders).fill('null').join(', ')})` : '';
      const plan = await client.query<{ 'QUERY PLAN': string }>(`explain execute ${name}${args}`);
      return plan.rows.map((row) => row['QUERY PLAN']);
    } finally {
      await client.query(`deallocate ${name}`);
      await client.query('reset plan_cache_mode');
    }
  }

  /** The plan's lines that read `persons` or `pin_claims` other than by a conference's index. */
  function wholeTableReads(plan: string[]): string[] {
    return plan.filter(
      (line) =>
        /Seq Scan on (persons|pin_claims)\b/.test(line) ||
        /Bitmap Heap Scan on persons\b/.test(line) ||
        /Index (Only )?Scan using persons_pkey\b/.test(line),
    );
  }

  it('keeps the pinned estimate through ANALYZE: one conference per 20 persons, whatever the sample says', async () => {
    const stats = await client.query<{ tablename: string; n_distinct: number }>(
      `select tablename, n_distinct from pg_stats
       where tablename in ('persons', 'pin_claims') and attname = 'conference_uid' order by tablename`,
    );
    expect(stats.rows).toEqual([
      { tablename: 'persons', n_distinct: conferenceDistinctFraction },
      { tablename: 'pin_claims', n_distinct: conferenceDistinctFraction },
    ]);
  });

  it("reads a conference's persons by persons_conference_uids in the batched request read, both statements", async () => {
    for (const [kind, statement] of Object.entries(requestReadStatements)) {
      const plan = await genericPlan(`plan_request_read_${kind}`, statement.text);
      expect(wholeTableReads(plan), `${kind}:\n${plan.join('\n')}`).toEqual([]);
      expect(plan.some((line) => /using persons_conference_uids on persons\b/.test(line))).toBe(true);
    }
  });

  it("reads a conference's persons by persons_conference_uids in every prepared statement that names one", async () => {
    const checked: string[] = [];
    const offenders: string[] = [];
    for (const query of declaredQueries()) {
      if (!/\bpersons\b/.test(query.postgres) || !/conference_uid\s*=/.test(query.postgres)) continue;
      if (/^\s*(insert|update|delete)\b/i.test(query.postgres)) continue;
      const plan = await genericPlan(`plan_${query.name}`, query.postgres);
      checked.push(query.name);
      const reads = wholeTableReads(plan);
      if (reads.length > 0) offenders.push(`${query.name}: ${reads.join(' / ')}`);
    }
    expect(offenders).toEqual([]);
    for (const name of [
      'conference_view',
      'conference_data_view',
      'person_uids_of_conference',
      'persons_of_conference',
    ]) {
      expect(checked).toContain(`baton_${name}`);
    }
  });

  it("keeps a generic plan for the registration group statements, the one carrying idempotency keys' claims too", async () => {
    // As in a run of keyed calls: many keys of the customer, analyzed.
    await client.query(
      `insert into idempotency_keys (customer_uid, key, request_hash, state, code, message, value, locked_until,
         created_at, expires_at)
       select $1, 'k' || g, 'h', 'done', 0, '', '"v"', 0, 0, 1 from generate_series(1, 20000) g`,
      [customer],
    );
    await client.query('analyze idempotency_keys');
    for (const name of ['baton_insert_persons_if_conferences_unchanged', 'baton_insert_persons_claiming_keys']) {
      const query = declaredQueries().find((q) => q.name === name);
      expect(query).toBeDefined();
      const keyed = name.endsWith('claiming_keys');
      let lastValues: unknown[] = [];
      // Groups of 1 to 12 registrations whose conference version does not match: planned and run, nothing written.
      for (let run = 0; run < 12; run++) {
        const n = 1 + run;
        const texts = (prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${run}-${i}`);
        const numbers = () => Array.from({ length: n }, (_, i) => i);
        const values = [
          ...[small[0], 'stale', '+15550001111', '123456'].map((v) => Array.from({ length: n }, () => v)),
          texts('PLANUID'),
          ...Array.from({ length: 7 }, () => texts('')),
          numbers(),
          texts('evt'),
          texts('person.registered'),
          numbers(),
          texts('{}'),
          ...(keyed
            ? [texts('key'), texts('hash'), numbers(), numbers(), numbers(), numbers(), texts(''), texts('"v"')]
            : []),
          customer,
        ];
        const { rows } = await client.query({ name: query!.name, text: query!.postgres, values });
        expect(rows).toEqual([]);
        lastValues = values;
      }
      const counts = await client.query<{ generic_plans: string; custom_plans: string }>(
        'select generic_plans, custom_plans from pg_prepared_statements where name = $1',
        [query!.name],
      );
      expect(counts.rows).toHaveLength(1);
      expect(Number(counts.rows[0]!.custom_plans)).toBeLessThanOrEqual(5);
      expect(Number(counts.rows[0]!.generic_plans)).toBeGreaterThanOrEqual(7);
      if (keyed) {
        // The key's probe: one primary-key lookup a registration, never all of the customer's keys.
        await client.query(`prepare plan_keyed as ${query!.postgres}`);
        try {
          await client.query('set plan_cache_mode = force_generic_plan');
          // EXPLAIN EXECUTE takes no bound parameters: the last run's values as literals (the generic plan ignores them).
          const literal = (v: unknown) =>
            `'${(Array.isArray(v) ? `{${v.map((e) => JSON.stringify(e)).join(',')}}` : String(v)).replace(/'/g, "''")}'`;
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(
            `explain execute plan_keyed(${lastValues.map(literal).join(', ')})`,
          );
          const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          expect(plan).toMatch(
            /Index Only Scan using idempotency_keys_pk on idempotency_keys|Index Scan using idempotency_keys_pk/,
          );
          expect(plan).not.toMatch(/hashed SubPlan/);
          expect(plan).not.toMatch(/Bitmap Heap Scan on idempotency_keys|Seq Scan on idempotency_keys/);
        } finally {
          await client.query('reset plan_cache_mode');
          await client.query('deallocate plan_keyed');
        }
      }
    }
  });

  it("reads a group's idempotency keys by the primary key, one lookup a key, on one generic plan", async () => {
    const query = declaredQueries().find((q) => q.name === 'baton_idempotency_find_group');
    expect(query).toBeDefined();
    for (let run = 0; run < 12; run++) {
      const keys = Array.from({ length: 1 + run }, (_, i) => `k${i * 7 + run + 1}`);
      const { rows } = await client.query({
        name: query!.name,
        text: query!.postgres,
        values: [JSON.stringify(keys), customer],
      });
      expect(rows.map((r: { key: string }) => r.key).sort()).toEqual([...keys].sort());
    }
    const counts = await client.query<{ generic_plans: string; custom_plans: string }>(
      'select generic_plans, custom_plans from pg_prepared_statements where name = $1',
      [query!.name],
    );
    expect(Number(counts.rows[0]!.custom_plans)).toBeLessThanOrEqual(5);
    await client.query('set plan_cache_mode = force_generic_plan');
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>({
        text: `explain ${query!.postgres}`,
        values: [JSON.stringify(['k1', 'k2']), customer],
      });
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using idempotency_keys_pk on idempotency_keys/);
      expect(plan).toMatch(/Index Cond: \(\(customer_uid = .+\) AND \(key = w\.key\)\)/);
    } finally {
      await client.query('reset plan_cache_mode');
    }
  });

  it('keeps a generic plan for the webhook due check, which runs after every committed group of events', async () => {
    const query = declaredQueries().find((q) => q.name === 'baton_any_due_webhook');
    expect(query).toBeDefined();
    await client.query(`prepare plan_any_due as ${query!.postgres}`);
    try {
      // PostgreSQL tries five custom plans, then keeps the generic one unless it is estimated costlier.
      for (let run = 0; run < 12; run++) await client.query(`execute plan_any_due(${Date.now()}, ${Date.now()})`);
      const counts = await client.query<{ generic_plans: string; custom_plans: string }>(
        `select generic_plans, custom_plans from pg_prepared_statements where name = 'plan_any_due'`,
      );
      expect(counts.rows).toHaveLength(1);
      expect(Number(counts.rows[0]!.custom_plans)).toBeLessThanOrEqual(5);
      expect(Number(counts.rows[0]!.generic_plans)).toBeGreaterThanOrEqual(7);
    } finally {
      await client.query('deallocate plan_any_due');
    }
  });
});
