/**
 * `node --import tsx bench/pg-request-read.ts`: what an API request's
 * up-front PostgreSQL read (customer, live key hashes, throttle window, the
 * getConference view) costs, without HTTP: one statement per request (round
 * 3's shape, inlined here for comparison) against the batched statement of
 * `src/store/request-read.repository.ts` at several batch sizes. Seeds the
 * benchmark's 1,000-conference database into a throwaway PostgreSQL and
 * prints, per request: requests a second, PostgreSQL's CPU (every backend,
 * from /proc) and this process's CPU (the driver's share of Node's).
 *
 *   --clients N   statements out at once (default 16 for one a request, 2 for batches)
 *   --seconds N   per shape (default 3)
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { viewJsonSql } from '../src/store/conference-view.repository.js';
import { requestReadStatements } from '../src/store/request-read.repository.js';
import { seededPostgres, withThrowawayPostgres } from './postgres.js';

const { values: flags } = parseArgs({
  options: { clients: { type: 'string' }, seconds: { type: 'string', default: '3' } },
});
const seconds = Number(flags.seconds);

const log = (line: string) => process.stderr.write(line + '\n');
await withThrowawayPostgres(log, async (postgres) => {
  const { url, seeded } = await seededPostgres(postgres, 'pgrr');
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  const customer = seeded.customer;
  const conference = seeded.smallConference;
  const hash = createHash('sha256').update(seeded.key).digest('hex');

  // Round 3's statement: one request, the view for a live key.
  const oneSql = `select cu.*,
      array(select k.key_hash from api_keys k where k.customer_uid = cu.uid and k.revoked_at is null) as baton_key_hashes,
      t.window_start as baton_throttle_start, t.hits as baton_throttle_hits, null as baton_fingerprint,
      case when g.live then coalesce(${viewJsonSql('conference', '$5', '$1')}, 'null') end as baton_view
    from (select 1) one
    left join customers cu on cu.uid = $1::text
    left join throttle_counters t on t.scope = $2::text and t."key" = $3::text
    cross join lateral (select exists (select 1 from api_keys a where a.customer_uid = $1::text
      and a.key_hash = $4::text and a.revoked_at is null) as live) g`;
  const batch = (n: number, keyHash: string) => {
    const one = [customer, 'api-auth', '127.0.0.1', keyHash, 'conference', conference, null];
    return [JSON.stringify(new Array(n).fill(one))];
  };

  type Shape = { name: string; perStatement: number; clients: number; run: (c: pg.PoolClient) => Promise<unknown> };
  const shapes: Shape[] = [
    {
      name: 'one statement a request (round 3), getConference',
      perStatement: 1,
      clients: 16,
      run: (c) =>
        c.query({
          name: 'pgrr_one',
          text: oneSql,
          values: [customer, 'api-auth', '127.0.0.1', hash, conference],
        }),
    },
    {
      name: 'one statement a request (round 3), wrong key',
      perStatement: 1,
      clients: 16,
      run: (c) =>
        c.query({ name: 'pgrr_one', text: oneSql, values: [customer, 'api-auth', '127.0.0.1', 'ff', conference] }),
    },
  ];
  for (const n of [1, 4, 16, 64]) {
    const values = batch(n, hash);
    shapes.push({
      name: `batched, ${n} a statement, getConference`,
      perStatement: n,
      clients: n === 1 ? 16 : 2,
      run: (c) => c.query({ name: 'pgrr_batch', text: requestReadStatements.conference.text, values }),
    });
  }
  for (const n of [1, 16]) {
    const values = batch(n, 'ff');
    shapes.push({
      name: `batched, ${n} a statement, wrong key`,
      perStatement: n,
      clients: n === 1 ? 16 : 2,
      run: (c) => c.query({ name: 'pgrr_batch', text: requestReadStatements.conference.text, values }),
    });
  }
  const results = [
    '| shape | requests/s | PostgreSQL CPU µs/request | client CPU µs/request |',
    '|---|---:|---:|---:|',
  ];
  for (const shape of shapes) {
    const clients = flags.clients ? Number(flags.clients) : shape.clients;
    const held = await Promise.all(Array.from({ length: clients }, () => pool.connect()));
    const run = async (ms: number) => {
      let statements = 0;
      const end = performance.now() + ms;
      await Promise.all(
        held.map(async (c) => {
          while (performance.now() < end) {
            await shape.run(c);
            statements++;
          }
        }),
      );
      return statements * shape.perStatement;
    };
    await run(300);
    const cpu0 = postgres.cpuMs();
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    const requests = await run(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = postgres.cpuMs() - cpu0;
    const own = process.cpuUsage(own0);
    for (const c of held) c.release();
    const line = `| ${shape.name} | ${(requests / elapsed).toFixed(0)} | ${((cpu * 1000) / requests).toFixed(1)} | ${((own.user + own.system) / requests).toFixed(1)} |`;
    log(line);
    results.push(line);
  }
  await pool.end();
  process.stdout.write(results.join('\n') + '\n');
});
