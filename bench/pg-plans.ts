/**
 * `node --import tsx bench/pg-plans.ts`: the generic plans of the batched
 * request read (src/store/request-read.repository.ts) on the benchmark's
 * seed, fresh and after the addPerson rows have grown one conference by
 * tens of thousands of persons and the tables were analyzed (what
 * autovacuum does during a full run), with ANALYZE's own estimate of
 * persons a conference and with migration 016's. Prints each plan (EXPLAIN ANALYZE,
 * BUFFERS, the generic plan forced) and what a statement costs
 * PostgreSQL's CPU, for getConference and getConferenceData batches.
 *
 *   --grow N      persons added to the addPerson conference (default 35000)
 *   --seconds N   per measurement (default 2)
 *   --plans       print the plans
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { conferenceDistinctFraction } from '../src/store/migrations/016-pg-person-statistics.js';
import { requestReadStatements } from '../src/store/request-read.repository.js';
import { seededPostgres, withThrowawayPostgres } from './postgres.js';

const { values: flags } = parseArgs({
  options: {
    grow: { type: 'string', default: '35000' },
    seconds: { type: 'string', default: '2' },
    plans: { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stderr.write(line + '\n');

await withThrowawayPostgres(log, async (postgres) => {
  const { url, seeded } = await seededPostgres(postgres, 'pgplans');
  const client = new pg.Client({ connectionString: url, options: '-c jit=off' });
  await client.connect();
  const hash = createHash('sha256').update(seeded.key).digest('hex');
  const input = (kind: string, conf: string, held: string | null = null) => [
    seeded.customer,
    'api-auth',
    '127.0.0.1',
    hash,
    kind,
    conf,
    held,
  ];
  // getConferenceData with the view held: the fingerprint it compares.
  const fingerprint = (
    await client.query<{ baton_fingerprint: string }>({
      text: requestReadStatements.data.text,
      values: [JSON.stringify([input('conferenceData', seeded.dataConference)])],
    })
  ).rows[0]!.baton_fingerprint;
  const shapes = [
    {
      name: 'getConference, 1',
      statement: requestReadStatements.conference,
      value: JSON.stringify([input('conference', seeded.smallConference)]),
    },
    {
      name: 'getConference, 8 rows',
      statement: requestReadStatements.conference,
      value: JSON.stringify(Array.from({ length: 8 }, () => input('conference', seeded.smallConference))),
    },
    {
      name: 'getConferenceData, 1',
      statement: requestReadStatements.data,
      value: JSON.stringify([input('conferenceData', seeded.dataConference)]),
    },
    {
      name: 'getConferenceData, 1, view held',
      statement: requestReadStatements.data,
      value: JSON.stringify([input('conferenceData', seeded.dataConference, fingerprint)]),
    },
    {
      name: 'addPerson, 8',
      statement: requestReadStatements.conference,
      value: JSON.stringify(Array.from({ length: 8 }, () => input('versionedConference', seeded.openConference))),
    },
  ];
  const measure = async (phase: string) => {
    for (const generic of [false, true]) {
      await client.query(`set plan_cache_mode = ${generic ? 'force_generic_plan' : 'force_custom_plan'}`);
      await client.query('deallocate all');
      for (const [i, shape] of shapes.entries()) {
        const name = `s${i}`;
        await client.query(`prepare ${name}(json) as ${shape.statement.text.replace('$1::json', '$1')}`);
        const literal = `'${shape.value.replace(/'/g, "''")}'`;
        const plan = await client.query(`explain (analyze, buffers) execute ${name}(${literal})`);
        const lines = plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']!);
        const exec = lines.find((l) => l.startsWith('Execution Time'));
        const planning = lines.find((l) => l.startsWith('Planning Time'));
        const seq = lines.filter((l) => /Seq Scan on persons|Index Scan using persons_pkey/.test(l)).length;
        if (flags.plans) log(lines.join('\n'));
        // CPU per execution.
        const end = performance.now() + Number(flags.seconds) * 1000;
        let n = 0;
        const cpu0 = postgres.cpuMs();
        while (performance.now() < end) {
          await client.query(`execute ${name}(${literal})`);
          n++;
        }
        const cpu = ((postgres.cpuMs() - cpu0) * 1000) / n;
        log(
          `${phase} | ${generic ? 'generic' : 'custom'} | ${shape.name} | ${exec} | ${planning} | persons scans ${seq} | PG CPU ${cpu.toFixed(0)} µs/statement`,
        );
      }
    }
  };
  const withoutEstimate = () =>
    client.query(
      'alter table persons alter column conference_uid reset (n_distinct); ' +
        'alter table pin_claims alter column conference_uid reset (n_distinct); analyze',
    );
  const withEstimate = () =>
    client.query(
      `alter table persons alter column conference_uid set (n_distinct = ${conferenceDistinctFraction}); ` +
        `alter table pin_claims alter column conference_uid set (n_distinct = ${conferenceDistinctFraction}); analyze`,
    );
  await measure('fresh, no statistics');
  await withoutEstimate();
  await measure("fresh, ANALYZE's own estimate");
  await withEstimate();
  await measure('fresh, migration 016');
  const grow = Number(flags.grow);
  await client.query(
    `insert into persons (uid, conference_uid, customer_uid, name, email, role, pin, created_at)
     select 'G' || lpad(g::text, 15, '0'), $1, $2, 'Grown ' || g, 'g' || g || '@example.com', 'PARTICIPANT',
       lpad((200000 + g)::text, 6, '0'), 0 from generate_series(1, $3::int) g`,
    [seeded.openConference, seeded.customer, grow],
  );
  await withoutEstimate();
  const stats = await client.query(
    `select attname, n_distinct, most_common_freqs::text from pg_stats
     where tablename = 'persons' and attname in ('conference_uid', 'customer_uid')`,
  );
  for (const r of stats.rows) log(JSON.stringify(r));
  await measure(`grown by ${grow}, ANALYZE's own estimate`);
  await withEstimate();
  await measure(`grown by ${grow}, migration 016`);
  await client.query('vacuum analyze persons');
  await measure(`grown by ${grow}, migration 016, vacuumed`);
  await client.end();
});
