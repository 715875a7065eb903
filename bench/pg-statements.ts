/**
 * `node --import tsx bench/pg-statements.ts`: what each shape of addPerson's
 * PostgreSQL work costs, without HTTP. Seeds the benchmark's 1,000-conference
 * database into a throwaway PostgreSQL (default durability), then runs each
 * shape from 16 concurrent clients for a few seconds and prints operations a
 * second and PostgreSQL's CPU per operation (from /proc, every backend).
 *
 *   --clients N   concurrent clients (default 16)
 *   --seconds N   per shape (default 3)
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { insertPersonsIfUnchangedQuery } from '../src/store/person.repository.js';
import { seededPostgres, withThrowawayPostgres } from './postgres.js';

const { values: flags } = parseArgs({
  options: { clients: { type: 'string', default: '16' }, seconds: { type: 'string', default: '3' } },
});
const clients = Number(flags.clients);
const seconds = Number(flags.seconds);

const log = (line: string) => process.stderr.write(line + '\n');
await withThrowawayPostgres(log, async (postgres) => {
  const { url, seeded } = await seededPostgres(postgres, 'pgst');
  const pool = new pg.Pool({ connectionString: url, max: clients });
  const { rows } = await pool.query('select did from conferences where uid = $1', [seeded.openConference]);
  const did = rows[0].did as string;
  const customer = seeded.customer;
  const conference = seeded.openConference;
  let n = 0;
  const uid = () => `B${(++n).toString(36).toUpperCase().padStart(15, '0')}`;
  const pin = () => String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');

  const readSql = `select c.*, c.xmin::text as baton_version, (select coalesce(json_agg(r order by r.start_at), '[]') from reservations r
      where r.conference_uid = c.uid and r.customer_uid = c.customer_uid) as baton_reservations
    from conferences c where c.uid = $1 and c.customer_uid = $2`;
  const claimSql = `with claim as (
      insert into pin_claims (did, pin, person_uid, conference_uid) values ($1, $2, $3, $4)
      on conflict (did, pin) do nothing returning pin)
    insert into persons (uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at)
    select $3, $4, $5, 'n', '', '', '', '', 'PARTICIPANT', claim.pin, '', $6::bigint from claim returning *`;
  const eventSql = `with counter as (
      insert into event_counters (customer_uid, last_sequence) values ($1, 1)
      on conflict (customer_uid) do update set last_sequence = event_counters.last_sequence + 1
      returning last_sequence)
    insert into events (customer_uid, sequence, id, type, occurred_at, data)
    select $1, counter.last_sequence, $2, 'person.registered', $3::bigint, '{}' from counter returning sequence`;
  const oneSql = `with conf as (
      select c.uid from conferences c where c.uid = $4 and c.customer_uid = $5 and c.xmin::text = $7 for share of c),
    claim as (
      insert into pin_claims (did, pin, person_uid, conference_uid) select $1, $2, $3, conf.uid from conf
      on conflict (did, pin) do nothing returning pin),
    person as (
      insert into persons (uid, conference_uid, customer_uid, name, email, notes, custom1, custom2, role, pin, ani, created_at)
      select $3, $4, $5, 'n', '', '', '', '', 'PARTICIPANT', claim.pin, '', $6::bigint from claim returning *),
    counter as (
      insert into event_counters (customer_uid, last_sequence) select $5, 1 from person
      on conflict (customer_uid) do update set last_sequence = event_counters.last_sequence + 1
      returning last_sequence),
    event as (
      insert into events (customer_uid, sequence, id, type, occurred_at, data)
      select $5, counter.last_sequence, $8, 'person.registered', $6::bigint, '{}' from counter returning sequence)
    select (select count(*) from conf)::int as matched, person.* from (select 1) one left join person on true`;

  let first: pg.PoolClient | undefined;
  const counters = new Map<pg.PoolClient, string>();
  const counterOf = (c: pg.PoolClient) => {
    if (!counters.has(c)) counters.set(c, `PGSTCOUNTER${String(counters.size).padStart(5, '0')}`);
    return counters.get(c)!;
  };
  type Shape = (client: pg.PoolClient) => Promise<void | false | number>;
  /** Read the version, then one group statement of `size` registrations (PersonInsertBatcher's); counts persons. */
  const group = (size: number, users: number) => async (c: pg.PoolClient) => {
    if (!held.slice(0, users).includes(c)) return new Promise<false>((r) => setTimeout(() => r(false), 5));
    const read = await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] });
    const version = read.rows[0].baton_version as string;
    const items = Array.from({ length: size }, () => uid());
    const each = <T>(v: T) => items.map(() => v);
    const now = Date.now();
    await c.query({
      name: 'pgst_group',
      text: insertPersonsIfUnchangedQuery.postgres,
      values: [
        each(conference),
        each(version),
        each(did),
        items.map(() => pin()),
        items,
        each('n'),
        each(''),
        each(''),
        each(''),
        each(''),
        each('PARTICIPANT'),
        each(''),
        each(now),
        items.map((u) => `evt_${u}`),
        each('person.registered'),
        each(now),
        each('{}'),
        customer,
      ],
    });
    return size;
  };
  const shapes: [string, Shape][] = [
    ['select 1 (one round trip, floor)', async (c) => void (await c.query('select 1'))],
    ['begin; commit (empty)', async (c) => void (await c.query('begin'), await c.query('commit'))],
    ['select txid_current() autocommit (one commit flush)', async (c) => void (await c.query('select txid_current()'))],
    ['conference read, unnamed', async (c) => void (await c.query(readSql, [conference, customer]))],
    [
      'conference read, named',
      async (c) => void (await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] })),
    ],
    [
      'round 2: begin; read for share; claim+insert; counter+event; commit (unnamed)',
      async (c) => {
        const u = uid();
        await c.query('begin');
        await c.query(readSql + ' for share of c', [conference, customer]);
        await c.query(claimSql, [did, pin(), u, conference, customer, Date.now()]);
        await c.query(eventSql, [customer, `evt_${u}`, Date.now()]);
        await c.query('commit');
      },
    ],
    [
      'round 2 statements, named',
      async (c) => {
        const u = uid();
        await c.query('begin');
        await c.query({ name: 'pgst_read_share', text: readSql + ' for share of c', values: [conference, customer] });
        await c.query({
          name: 'pgst_claim',
          text: claimSql,
          values: [did, pin(), u, conference, customer, Date.now()],
        });
        await c.query({ name: 'pgst_event', text: eventSql, values: [customer, `evt_${u}`, Date.now()] });
        await c.query('commit');
      },
    ],
    [
      'round 3: read (named, autocommit) + one write statement (named, autocommit)',
      async (c) => {
        const u = uid();
        const read = await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] });
        const version = read.rows[0].baton_version as string;
        const values = [did, pin(), u, conference, customer, Date.now(), version, `evt_${u}`];
        await c.query({ name: 'pgst_one', text: oneSql, values });
      },
    ],
    [
      'the same, the write without FOR SHARE (for comparison only: not race-safe)',
      async (c) => {
        const u = uid();
        const read = await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] });
        const version = read.rows[0].baton_version as string;
        const values = [did, pin(), u, conference, customer, Date.now(), version, `evt_${u}`];
        await c.query({ name: 'pgst_one_noshare', text: oneSql.replace(' for share of c', ''), values });
      },
    ],
    [
      'the same, one client (no lock contention)',
      async (c) => {
        if (c !== first) return new Promise<false>((r) => setTimeout(() => r(false), 5));
        const u = uid();
        const read = await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] });
        const version = read.rows[0].baton_version as string;
        const values = [did, pin(), u, conference, customer, Date.now(), version, `evt_${u}`];
        await c.query({ name: 'pgst_one', text: oneSql, values });
      },
    ],
    [
      'round 3, synchronous_commit off (for comparison only: what the commit flush costs)',
      async (c) => {
        const u = uid();
        const read = await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] });
        const version = read.rows[0].baton_version as string;
        const values = [did, pin(), u, conference, customer, Date.now(), version, `evt_${u}`];
        await c.query('set synchronous_commit = off');
        await c.query({ name: 'pgst_one', text: oneSql, values });
        await c.query('set synchronous_commit = on');
      },
    ],
    [
      'round 3, each client its own event counter (for comparison only: the per-customer counter serializes commits)',
      async (c) => {
        const u = uid();
        const read = await c.query({ name: 'pgst_read', text: readSql, values: [conference, customer] });
        const version = read.rows[0].baton_version as string;
        const values = [did, pin(), u, conference, customer, Date.now(), version, `evt_${u}`, counterOf(c)];
        const text = oneSql
          .replace('select $5, 1 from person', 'select $9, 1 from person')
          .replace('select $5, counter.last_sequence', 'select $9, counter.last_sequence');
        await c.query({ name: 'pgst_one_own_counter', text, values });
      },
    ],
  ];
  shapes.push(
    ['group statement of 1, 2 clients (per person)', group(1, 2)],
    ['group statement of 4, 2 clients (per person)', group(4, 2)],
    ['group statement of 16, 2 clients (per person)', group(16, 2)],
    ['group statement of 16, 1 client (per person)', group(16, 1)],
  );
  let held: pg.PoolClient[] = [];
  const results: string[] = ['| shape | ops/s | PostgreSQL CPU µs/op |', '|---|---:|---:|'];
  for (const [name, shape] of shapes) {
    held = await Promise.all(Array.from({ length: clients }, () => pool.connect()));
    first = held[0];
    const run = async (ms: number) => {
      let ops = 0;
      const end = performance.now() + ms;
      await Promise.all(
        held.map(async (c) => {
          while (performance.now() < end) {
            const done = await shape(c);
            if (done !== false) ops += typeof done === 'number' ? done : 1;
          }
        }),
      );
      return ops;
    };
    await run(300);
    const cpu0 = postgres.cpuMs();
    const t0 = performance.now();
    const ops = await run(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = postgres.cpuMs() - cpu0;
    for (const c of held) c.release();
    const line = `| ${name} | ${(ops / elapsed).toFixed(0)} | ${((cpu * 1000) / ops).toFixed(0)} |`;
    log(line);
    results.push(line);
  }
  await pool.end();
  process.stdout.write(results.join('\n') + '\n');
});
