/**
 * `node --import tsx bench/pg-add-person.ts`: what one PostgreSQL addPerson
 * costs Node and PostgreSQL through the access pipeline (authentication, the
 * conference read, the grouped write; no HTTP), in one process against a
 * throwaway PostgreSQL (default durability). 32 callers, each sending its
 * next addPerson when the last one is answered, one conference; alternating
 * rounds with the conference read folded into the request's read (addPerson's
 * `readsView`, as served) and without it (its own grouped read), so both
 * shapes see the same machine. Prints calls a second and CPU µs per call of
 * this process and of every PostgreSQL backend.
 *
 *   --callers N   concurrent callers (default 32)
 *   --seconds N   per round (default 3)
 *   --rounds N    rounds of each shape (default 3)
 *   --shape S     both (default), folded or own: only that shape (e.g. under --cpu-prof)
 *   --key K       none (default), fresh (a new Idempotency-Key a call) or repeated (one key for every call)
 *   --statements  load pg_stat_statements and print, at the end, the top statements per call (all rounds)
 *   --plans       at the end, each pool connection's prepared statements with their generic and custom plan counts
 */
import { parseArgs } from 'node:util';
import { accessFrontOf } from '../src/app.js';
import { addPerson } from '../src/functions/add-person.js';
import type { AccessPipeline } from '../src/protocol/access-pipeline.js';
import { emptyParams } from '../src/protocol/request-params.js';
import { postgresPoolOf } from '../src/store/database.js';
import { startTestServer } from '../test/harness.js';
import { withThrowawayPostgres } from './postgres.js';

const { values: flags } = parseArgs({
  options: {
    callers: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    shape: { type: 'string', default: 'both' },
    plans: { type: 'boolean', default: false },
    key: { type: 'string', default: 'none' },
    statements: { type: 'boolean', default: false },
  },
});
const callers = Number(flags.callers);
const seconds = Number(flags.seconds);

const log = (line: string) => process.stderr.write(line + '\n');
await withThrowawayPostgres(
  log,
  async (postgres) => {
    // The test harness creates its database on the server BATON_TEST_PG_URL names.
    process.env.BATON_TEST_PG_URL = (await postgres.createDatabase('pgap_admin')).replace(/\/pgap_admin$/, '/postgres');
    const server = await startTestServer({ config: { dbPoolMax: 4 } });
    const conference = (await server.call('createConferenceReservationless', { name: 'Bench' })).value.UID as string;
    const pipeline = (accessFrontOf(server.app) as unknown as { options: { pipeline: AccessPipeline } }).options
      .pipeline;
    const params = { ...server.credentials, conference, role: 'PARTICIPANT', name: 'Bench Person', type: 'json' };
    let serial = 0;
    /** Calls of the measured rounds (per-call statement figures). */
    let measured = 0;
    const keyOf = () =>
      flags.key === 'fresh'
        ? `bench-${process.pid}-${++serial}`
        : flags.key === 'repeated'
          ? 'bench-repeated'
          : undefined;
    const one = async () => {
      const answer = await pipeline.answer({
        method: 'POST',
        fnName: 'addPerson',
        params: Object.assign(emptyParams(), params),
        idempotencyHeader: keyOf(),
        peerAddress: '127.0.0.1',
        forwardedFor: undefined,
        requestId: 'bench',
      });
      if (answer.code !== 0) throw new Error(`addPerson answered ${answer.code}`);
    };
    const folded = addPerson.readsView;
    const run = async (label: string, ms: number, report: boolean) => {
      const until = performance.now() + ms;
      let calls = 0;
      const cpu = process.cpuUsage();
      const pgBefore = postgres.cpuMs();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (performance.now() < until) {
            await one();
            calls++;
            measured++;
          }
        }),
      );
      const elapsed = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu);
      if (report) {
        console.log(
          `${label}: ${Math.round(calls / elapsed)} calls/s, Node ${((used.user + used.system) / calls).toFixed(0)} µs/call, ` +
            `PostgreSQL ${((1000 * (postgres.cpuMs() - pgBefore)) / calls).toFixed(0)} µs/call`,
        );
      }
    };
    const shape = (fold: boolean) => {
      (addPerson as { readsView?: typeof folded }).readsView = fold ? folded : undefined;
      return fold ? 'read folded into the request read' : 'read of its own (grouped)';
    };
    const shapes = flags.shape === 'both' ? [true, false] : [flags.shape === 'folded'];
    for (const fold of shapes) await run(shape(fold), 2000, false);
    const pool = postgresPoolOf(server.services.store.db)!;
    if (flags.statements) {
      await pool.query('create extension if not exists pg_stat_statements');
      await pool.query('select pg_stat_statements_reset()');
    }
    measured = 0;
    for (let round = 0; round < Number(flags.rounds); round++) {
      for (const fold of shapes) await run(shape(fold), seconds * 1000, true);
    }
    (addPerson as { readsView?: typeof folded }).readsView = folded;
    if (flags.statements) {
      const { rows } = await pool.query(
        `select calls, total_exec_time, total_plan_time, wal_bytes, regexp_replace(left(query, 80), '\\s+', ' ', 'g') as query
       from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
       order by total_exec_time + total_plan_time desc limit 8`,
      );
      const per = (v: unknown, digits: number) => (Number(v) / measured).toFixed(digits);
      for (const r of rows) {
        console.log(
          `  ${per(r.calls, 3)} calls, exec ${per(Number(r.total_exec_time) * 1000, 1)} µs, plan ${per(Number(r.total_plan_time) * 1000, 1)} µs, ` +
            `WAL ${per(r.wal_bytes, 0)} B a call: ${String(r.query)}`,
        );
      }
    }
    if (flags.plans) {
      const clients = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
      for (const c of clients) {
        const { rows } = await c.query('select name, generic_plans, custom_plans from pg_prepared_statements');
        console.log(JSON.stringify(rows));
        c.release();
      }
    }
    await server.close();
  },
  { statements: flags.statements },
);
