/**
 * `npm run bench`: Baton against the bare-Node ceiling, measured in the same run.
 *
 * Builds the server, seeds fresh SQLite files (1,000 and 100,000 conferences),
 * starts the built server as a child process (LOG_LEVEL=warn) and a bare
 * node:http server, and drives each target with autocannon from its own
 * process at the same connection count. Prints one table — req/s, p50, p99,
 * ratio to the bare server — and the servers' peak RSS, and saves it to
 * bench/results/latest.md.
 *
 *   --help           print these options and exit
 *   --quick          short runs (development)
 *   --profile        run the servers with --cpu-prof and print their top self-time functions
 *   --only <a,b>     only the rows whose name contains one of these (the bare rows always run; `x$`: ends with x)
 *   --no-build       use dist/ as it is
 *   --dist <dir>     serve the build in <dir> instead of dist/ (A/B comparisons; implies --no-build)
 *   --connections N  default 32
 *   --repeat N       measure each row N times back to back and report the run of median req/s, with the
 *                    range in its note (a spike of the shared machine then moves one run, not the row)
 *   --workers N      WORKERS of the Baton servers (default: the number of cores)
 *   --before-workers N  WORKERS of the before build's servers (default: --workers), to compare process layouts
 *   --before <dir>   also run every Baton row on the build in <dir> (e.g. today's main), in the same run
 *   --pg             add a PostgreSQL column: a throwaway server, the 1,000-conference seed copied into it
 *   --pg-only        with --pg: only the PostgreSQL column (the SQLite setups are skipped)
 *   --pg-analyze     with --pg: ANALYZE the database before each PostgreSQL row, as autovacuum does during a
 *                    full run (so a quick run plans with the statistics of what the rows before it wrote)
 *   --pg-statements  with --pg: load pg_stat_statements and print, after each PostgreSQL row, the statements
 *                    of its measured part: calls and exec/plan ms a request, rows, WAL bytes (costs a little)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadJob, LoadResult } from './load.js';
import { summariseProfile } from './profile-summary.js';
import { startThrowawayPostgres } from './postgres.js';
import { migratorOf, mixedConferencesOf, seedDatabase, type Migrator, type Seeded } from './seed.js';
import { copyFileSync } from 'node:fs';
import { childPids, statFields } from './proc.js';
import { copySqliteToPostgres } from '../src/store/copy.js';
import pg from 'pg';

const root = new URL('..', import.meta.url).pathname;
const resultsDir = join(root, 'bench', 'results');

const flags = parseFlags();

/** The command line's options; an unknown one or a missing value exits 2 naming it. */
function parseFlags() {
  try {
    return parseArgs({
      options: {
        help: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        only: { type: 'string' },
        'no-build': { type: 'boolean', default: false },
        dist: { type: 'string' },
        connections: { type: 'string', default: '32' },
        workers: { type: 'string', default: String(cpus().length) },
        before: { type: 'string' },
        'before-workers': { type: 'string' },
        pg: { type: 'boolean', default: false },
        'pg-only': { type: 'boolean', default: false },
        'pg-analyze': { type: 'boolean', default: false },
        'pg-statements': { type: 'boolean', default: false },
        repeat: { type: 'string', default: '1' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message} (--help lists the options)\n`);
    process.exit(2);
  }
}
if (flags.help) {
  // The options are this file's header comment: print them as they are written there.
  const header = readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0] ?? '';
  process.stdout.write(header.replace(/^\/\*\*\n|^ \* ?/gm, '') + '\n');
  process.exit(0);
}
const connections = Number(flags.connections);
const duration = flags.quick ? 3 : 10;
const warmup = flags.quick ? 1 : 3;
const repeat = Number(flags.repeat);
if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) {
  process.stderr.write('--repeat must be a whole number from 1 to 9\n');
  process.exit(2);
}

/** A running child that answers HTTP. */
interface Target {
  name: string;
  url: string;
  child: ChildProcess;
}

/** One line of the table. */
interface Row {
  name: string;
  note?: string;
  result?: LoadResult;
  /** The server process's CPU time (user + system) per request of the measured run, in ms. */
  cpuPerRequest?: number;
  /** Why the row was not measured. */
  skipped?: string;
}

function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** Starts `node args…` and resolves once it prints "listening on <url>". */
function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Target> {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ name, url: match[1]!, child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${out}`)));
  });
}

/** The process and its children (a cluster's primary and its workers). */
function processTree(pid: number): number[] {
  return [pid, ...childPids(pid)];
}

/** Peak resident set size of a process, in MB (VmHWM: the kernel's high-water mark). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time (user + system) each of the server's processes has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMsByProcess(pid: number): Map<number, number> {
  const byProcess = new Map<number, number>();
  for (const p of processTree(pid)) {
    try {
      const fields = statFields(p);
      byProcess.set(p, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // exited
    }
  }
  return byProcess;
}

/** CPU time (user + system) the server's processes have used so far, in ms. */
function cpuMs(pid: number): number {
  let total = 0;
  for (const ms of cpuMsByProcess(pid).values()) total += ms;
  return total;
}

/** Each process's share of a row's CPU, in µs a request: the primary (#0) first, then its workers. */
function cpuSplit(pid: number, before: Map<number, number>, requests: number): string {
  const after = cpuMsByProcess(pid);
  const parts = [...after].map(([p, ms], i) => `#${i} ${((1000 * (ms - (before.get(p) ?? 0))) / requests).toFixed(0)}`);
  return parts.length > 1 ? ` (${parts.join(', ')})` : '';
}

async function stop(target: Target): Promise<void> {
  if (target.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => target.child.once('exit', () => resolve()));
  target.child.kill('SIGTERM');
  await exited;
}

/** Runs the load generator in its own process and reads its summary. */
function load(job: LoadJob): Promise<LoadResult> {
  const jobFile = join(tmpdir(), `baton-bench-job-${process.pid}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'load.ts'), jobFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(out) as LoadResult);
    });
  });
}

/** One request as the rows send it. */
interface Call {
  path: string;
  method: 'GET' | 'POST';
  body?: string;
  expect: string;
  /** The mixed row: a sequence each connection cycles through (the probe sends the first). */
  requests?: LoadJob['requests'];
  /** Extra headers of every request. */
  headers?: Record<string, string>;
  /** A header given a fresh value on every request (see LoadJob). */
  uniqueHeader?: string;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Whether --only (comma-separated name fragments) selects the row; the bare rows always run. */
function selected(name: string): boolean {
  if (!flags.only || name.startsWith('bare')) return true;
  // A part ending in `$` must end the name: `getConference$` leaves out getConferenceData.
  return flags.only.split(',').some((part) => {
    const wanted = part.trim().toLowerCase();
    const lower = name.toLowerCase();
    return wanted.endsWith('$') ? lower.endsWith(wanted.slice(0, -1)) : lower.includes(wanted);
  });
}

/** The throwaway PostgreSQL server's CPU so far (ms), once --pg started it. */
let postgresCpuMs: (() => number) | undefined;
/** The PostgreSQL database the running setup serves (--pg-analyze analyzes it before each of its rows). */
let postgresUrl: string | undefined;

async function analyzePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

/** Runs one statement on the PostgreSQL database `url`; its rows. */
async function onPostgres(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** --pg-statements: what each statement of the measured part cost the server, per request of the row. */
async function printStatements(url: string, requests: number): Promise<void> {
  const rows = await onPostgres(
    url,
    `select calls, total_exec_time, total_plan_time, rows, wal_bytes, shared_blks_hit + shared_blks_read as blocks,
       regexp_replace(left(query, 90), '\\s+', ' ', 'g') as query
     from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
     order by total_exec_time + total_plan_time desc limit 10`,
  );
  const per = (v: unknown, digits = 2) => (Number(v) / requests).toFixed(digits);
  for (const r of rows) {
    log(
      `    ${per(r.calls, 3)} calls, exec ${per(Number(r.total_exec_time) * 1000, 1)} µs, plan ${per(Number(r.total_plan_time) * 1000, 1)} µs, ` +
        `${per(r.rows)} rows, WAL ${per(r.wal_bytes, 0)} B, ${per(r.blocks, 1)} blocks a request: ${String(r.query)}`,
    );
  }
}

/** Checks one request by hand (and tells why a row cannot run), then measures it. */
async function measure(name: string, target: Target, call: Call, note?: string): Promise<Row> {
  if (!selected(name)) return { name, skipped: 'not selected (--only)' };
  const headers = { ...(call.body ? form : {}), ...call.headers };
  const probe = await fetch(target.url + call.path, {
    method: call.method,
    headers: call.uniqueHeader ? { ...headers, [call.uniqueHeader]: `probe-${Date.now()}` } : headers,
    body: call.body,
  });
  const text = await probe.text();
  if (!text.includes(call.expect)) {
    log(`${name}: unexpected answer, not measured: ${text.slice(0, 300)}`);
    return { name, note, skipped: `answer was not ${call.expect}: ${text.slice(0, 120)}` };
  }
  if (flags['pg-analyze'] && postgresUrl && name.includes(' PG ')) await analyzePostgres(postgresUrl);
  log(`${name}: ${warmup} s warm-up, ${duration} s at ${connections} connections…`);
  const job: LoadJob = {
    url: target.url + call.path,
    method: call.method,
    body: call.body,
    headers,
    connections,
    duration: warmup,
    expect: call.expect,
    requests: call.requests,
    uniqueHeader: call.uniqueHeader,
  };
  await load(job);
  // A PostgreSQL row also reads the database server's CPU (it shares the cores).
  const database = name.includes(' PG ') ? postgresCpuMs : undefined;
  const statements = flags['pg-statements'] && postgresUrl && name.includes(' PG ') ? postgresUrl : undefined;
  const runs: { result: LoadResult; cpuPerRequest: number; databaseCpu: number | undefined }[] = [];
  for (let run = 0; run < repeat; run++) {
    const cpuBefore = cpuMs(target.child.pid!);
    const cpuBeforeByProcess = cpuMsByProcess(target.child.pid!);
    if (statements) {
      await onPostgres(statements, 'create extension if not exists pg_stat_statements');
      await onPostgres(statements, 'select pg_stat_statements_reset()');
    }
    const databaseBefore = database?.();
    const result = await load({ ...job, duration });
    const cpuPerRequest = (cpuMs(target.child.pid!) - cpuBefore) / result.requests;
    const split = cpuSplit(target.child.pid!, cpuBeforeByProcess, result.requests);
    const databaseCpu = database ? (1000 * (database() - databaseBefore!)) / result.requests : undefined;
    const withDatabase = databaseCpu === undefined ? '' : `, PostgreSQL CPU ${databaseCpu.toFixed(0)} µs/request`;
    log(
      `  ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
        `server CPU ${(1000 * cpuPerRequest).toFixed(0)} µs/request${split}${withDatabase}`,
    );
    if (statements) await printStatements(statements, result.requests);
    runs.push({ result, cpuPerRequest, databaseCpu });
  }
  // The run of median req/s, whole (its latencies and CPU together), not a mix of runs.
  const sorted = [...runs].sort((a, b) => a.result.requestsPerSecond - b.result.requestsPerSecond);
  const { result, cpuPerRequest, databaseCpu } = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const range =
    repeat > 1
      ? `median of ${repeat} runs (${sorted.map((r) => Math.round(r.result.requestsPerSecond)).join(', ')} req/s)`
      : undefined;
  const noted = [note, databaseCpu === undefined ? undefined : `PostgreSQL CPU ${databaseCpu.toFixed(0)} µs/req`, range]
    .filter(Boolean)
    .join('; ');
  return { name, note: noted || undefined, result, cpuPerRequest };
}

function build(): void {
  log('building (tsc -p tsconfig.build.json)…');
  const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error('build failed');
}

function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}, load average at start ${load}`;
}

async function main(): Promise<void> {
  if (!flags['no-build'] && !flags.dist) build();
  const startedAt = new Date();
  const machineLine = machine();
  const work = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const profileDir = join(resultsDir, 'profiles', startedAt.toISOString().replace(/[:.]/g, '-'));
  if (flags.profile) mkdirSync(profileDir, { recursive: true });

  const now = Date.now();
  const seedOptions = { upcoming: 50, dataPersons: 500, smallPersons: 10, now };
  const seed = async (file: string, conferences: number, migrator?: Migrator): Promise<Seeded> => {
    const t0 = performance.now();
    const seeded = await seedDatabase(file, { ...seedOptions, conferences }, migrator);
    log(
      `seeded ${conferences.toLocaleString('en-US')} conferences in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return seeded;
  };
  const smallDb = join(work, 'small.db');
  const largeDb = join(work, 'large.db');
  const small = await seed(smallDb, 1_000);
  const largeRow = 'getUpcomingConference (100,000)';
  const large = selected(largeRow) ? await seed(largeDb, 100_000) : small;
  // The before build gets the same data on the schema its own migrations make.
  const beforeSmallDb = join(work, 'before-small.db');
  const beforeLargeDb = join(work, 'before-large.db');
  if (flags.before) {
    const beforeMigrations = await migratorOf(flags.before);
    await seed(beforeSmallDb, 1_000, beforeMigrations);
    if (selected(largeRow)) await seed(beforeLargeDb, 100_000, beforeMigrations);
  }

  const servers: { name: string; peakRssMb: number }[] = [];
  const auth = (s: Seeded) => ({ customer: s.customer, key: s.key });
  const jsonOk = '"code":0}';
  const sameBytesRow = sameBytesRowName;
  const rows: Row[] = [];
  const bareCall: Call = { path: '/_access/getConference?type=json', method: 'GET', expect: jsonOk };

  const mixedConferences = mixedConferencesOf(smallDb, small);

  /** One build on one database: where its files are and how its servers start. */
  interface Setup {
    label: string;
    dist: string;
    small: string;
    large: string | null;
    env: Record<string, string>;
  }

  const startBaton = (setup: Setup, name: string, database: string, extraEnv: Record<string, string> = {}) =>
    startChild(
      name,
      [
        // A folder per server, Node's default file names (pid and time): the cluster's workers inherit these
        // flags, and one file name would have every process of the tree overwrite the others' profile.
        ...(flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []),
        join(setup.dist, 'src', 'cli', 'main.js'),
        'serve',
      ],
      {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: database,
        LOG_LEVEL: 'warn',
        MAIL_OUTBOX_DIR: join(work, 'outbox'),
        JOB_INTERVAL_SECONDS: '0',
        ...setup.env,
        ...extraEnv,
      },
    );
  const stopBaton = async (target: Target) => {
    const tree = processTree(target.child.pid!);
    for (const [i, pid] of tree.entries()) {
      servers.push({ name: tree.length > 1 ? `${target.name}#${i}` : target.name, peakRssMb: peakRssMb(pid) });
    }
    await stop(target);
  };

  /** Every Baton row on one setup, named "<label> · <row>". */
  const runBatonRows = async (setup: Setup) => {
    const named = (row: string) => `${setup.label} · ${row}`;
    let baton = await startBaton(setup, `${setup.label}-1k`, setup.small);
    const addPersonBody = query({
      ...auth(small),
      conference: small.openConference,
      role: 'PARTICIPANT',
      name: 'Bench Person',
      email: 'bench@example.com',
    });
    rows.push(
      await measure(named('addPerson (JSON)'), baton, {
        path: '/_access/addPerson?type=json',
        method: 'POST',
        body: addPersonBody,
        expect: jsonOk,
      }),
    );
    // Idempotency keys exist in every build since round 3: measured on the before setups too (A/B of the keyed rows).
    {
      rows.push(
        await measure(
          named('addPerson (JSON, Idempotency-Key)'),
          baton,
          {
            path: '/_access/addPerson?type=json',
            method: 'POST',
            body: addPersonBody,
            expect: jsonOk,
            uniqueHeader: 'idempotency-key',
          },
          'a fresh key per request: claim, run, store the answer',
        ),
      );
      rows.push(
        await measure(
          named('addPerson (JSON, repeated key)'),
          baton,
          {
            path: '/_access/addPerson?type=json',
            method: 'POST',
            body: addPersonBody,
            expect: jsonOk,
            headers: { 'idempotency-key': `bench-repeat-${Date.now()}` },
          },
          'every request repeats one key: the stored answer, no work',
        ),
      );
    }
    rows.push(
      await measure(named('addPerson (XML)'), baton, {
        path: '/_access/addPerson?type=xml',
        method: 'POST',
        body: addPersonBody,
        expect: '<code>0</code>',
      }),
    );
    const getConferenceCall: Call = {
      path: `/_access/getConference?${query({ type: 'json', ...auth(small), conferenceUID: small.smallConference })}`,
      method: 'GET',
      expect: jsonOk,
    };
    rows.push(await measure(named('getConference'), baton, getConferenceCall, `${seedOptions.smallPersons} persons`));
    const dataCall: Call = {
      path: `/_access/getConferenceData?${query({ type: 'json', ...auth(small), conferenceUID: small.dataConference })}`,
      method: 'GET',
      expect: jsonOk,
    };
    rows.push(await measure(named('getConferenceData'), baton, dataCall, `${seedOptions.dataPersons} persons`));
    // Its own ceiling: a bare node:http server sending the very bytes Baton answered (160 kB), in the same run.
    if (selected('getConferenceData') && !rows.some((r) => r.name === sameBytesRow)) {
      const answer = Buffer.from(await (await fetch(baton.url + dataCall.path)).arrayBuffer());
      const bodyFile = join(work, 'get-conference-data.json');
      writeFileSync(bodyFile, answer);
      const bareSame = await startChild('bare-same-bytes', ['--import', 'tsx', join(root, 'bench', 'bare-server.ts')], {
        ...process.env,
        BARE_BODY_FILE: bodyFile,
      });
      rows.push(
        await measure(
          sameBytesRow,
          bareSame,
          { ...dataCall, path: '/' },
          `the ${(answer.length / 1024).toFixed(0)} kB getConferenceData answer of the first setup, as one Buffer`,
        ),
      );
      await stop(bareSame);
    }
    // Before the mixed row, whose addPerson calls go to the customer's live conferences, the upcoming ones among
    // them: after it, the list would present thousands more persons than the 100,000-conference row's list.
    rows.push(await measure(named('getUpcomingConference (1,000)'), baton, upcoming(small), upcomingNote(small)));
    // 90% getConference across 100 conferences, 10% addPerson: a cache is credited only for what such traffic gets.
    // Its addPerson calls go to the same conferences, so each write drops answers that the reads then ask for.
    const mixedAddPerson = (uid: string) =>
      query({ ...auth(small), conference: uid, role: 'PARTICIPANT', name: 'Bench Person', type: 'json' });
    const mixed = Array.from({ length: 200 }, (_, i) =>
      i % 10 === 9
        ? {
            method: 'POST' as const,
            path: '/_access/addPerson?type=json',
            body: mixedAddPerson(mixedConferences[(i * 13) % mixedConferences.length]!),
            headers: form,
          }
        : {
            method: 'GET' as const,
            path: `/_access/getConference?${query({ type: 'json', ...auth(small), conferenceUID: mixedConferences[(i * 7) % mixedConferences.length]! })}`,
          },
    );
    rows.push(
      await measure(
        named('mixed'),
        baton,
        { path: mixed[0]!.path, method: 'GET', expect: jsonOk, requests: mixed },
        `90% getConference over ${mixedConferences.length} conferences, 10% addPerson`,
      ),
    );
    await stopBaton(baton);

    // What operations cost on the hot path: the same getConference with metrics counted
    // (METRICS_TOKEN set; nobody scrapes), and with the one info line per request written.
    if (setup.label === 'after' && selected('getConference')) {
      baton = await startBaton(setup, 'after-metrics', setup.small, {
        METRICS_TOKEN: 'bench-metrics-token-0123456789',
      });
      rows.push(await measure(named('getConference (metrics on)'), baton, getConferenceCall, 'METRICS_TOKEN set'));
      await stopBaton(baton);
      baton = await startBaton(setup, 'after-log-info', setup.small, { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
      rows.push(
        await measure(named('getConference (LOG_LEVEL=info)'), baton, getConferenceCall, 'one JSON line per request'),
      );
      await stopBaton(baton);
    }

    const largeRow = named('getUpcomingConference (100,000)');
    if (setup.large && selected('getUpcomingConference (100,000)')) {
      baton = await startBaton(setup, `${setup.label}-100k`, setup.large);
      rows.push(await measure(largeRow, baton, upcoming(large), upcomingNote(large)));
      await stopBaton(baton);
    } else {
      rows.push({
        name: largeRow,
        skipped: setup.label.includes('PG') ? 'SQLite only (seed copy time)' : 'not selected (--only)',
      });
    }

    // The auth-failure path, with the failure throttle off so every request is authenticated.
    baton = await startBaton(setup, `${setup.label}-auth`, setup.small, { AUTH_FAILURE_LIMIT: '0' });
    rows.push(
      await measure(
        named('wrong key (auth failure)'),
        baton,
        {
          path: `/_access/getConference?${query({
            type: 'json',
            customer: small.customer,
            key: 'ffffffffffffffffffffffffffffffff',
            conferenceUID: small.smallConference,
          })}`,
          method: 'GET',
          expect: '"code":-5}',
        },
        'AUTH_FAILURE_LIMIT=0',
      ),
    );
    await stopBaton(baton);
    // addPerson with an active webhook endpoint: every registration is also delivered, signed, to a
    // receiver in this process (a bare node:http server answering 204).
    const webhookRow = named('addPerson (JSON), webhook endpoint active');
    if (setup.label.startsWith('after') && selected('addPerson (JSON), webhook endpoint active')) {
      let received = 0;
      const receiver = createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          received++;
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      baton = await startBaton(setup, `${setup.label}-webhook`, setup.small, { WEBHOOK_ALLOW_PRIVATE: 'true' });
      const added = await fetch(`${baton.url}/_access/addWebhook`, {
        method: 'POST',
        body: new URLSearchParams({ ...auth(small), type: 'json', url: hookUrl, eventTypes: 'person.registered' }),
      });
      const hook = (await added.json()) as { code: number; value: { UID: string } };
      if (hook.code !== 0) throw new Error(`addWebhook failed: ${JSON.stringify(hook)}`);
      const row = await measure(webhookRow, baton, {
        path: '/_access/addPerson?type=json',
        method: 'POST',
        body: addPersonBody,
        expect: jsonOk,
      });
      // Let delivery catch up, then report how far it had got when the load stopped.
      const count = row.result ? row.result.requests : 0;
      const deadline = Date.now() + 60_000;
      const atStop = received;
      while (received < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      row.note = `${atStop.toLocaleString('en-US')} delivered by the end of the run, ${received.toLocaleString('en-US')} within 60 s after`;
      rows.push(row);
      await fetch(`${baton.url}/_access/removeWebhook`, {
        method: 'POST',
        body: new URLSearchParams({ ...auth(small), type: 'json', webhook: hook.value.UID }),
      });
      await stopBaton(baton);
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  };
  const upcoming = (s: Seeded) => ({
    path: `/_access/getUpcomingConference?${query({ type: 'json', ...auth(s) })}`,
    method: 'GET' as const,
    expect: jsonOk,
  });
  const upcomingNote = (s: Seeded) =>
    `${s.conferences.toLocaleString('en-US')} conferences, ${seedOptions.upcoming} upcoming returned`;

  // The ceiling, before…
  let bare = await startChild('bare', ['--import', 'tsx', join(root, 'bench', 'bare-server.ts')], process.env);
  rows.push(await measure('bare node:http (before)', bare, bareCall));
  await stop(bare);
  // The same bare server in Baton's layout (WORKERS cluster workers): what the layout itself costs here.
  if (Number(flags.workers) > 1) {
    const bareCluster = await startChild('bare-cluster', ['--import', 'tsx', join(root, 'bench', 'bare-server.ts')], {
      ...process.env,
      BARE_WORKERS: flags.workers,
    });
    rows.push(
      await measure(
        clusterRowName(),
        bareCluster,
        bareCall,
        'not part of the bare mean: the layout of the Baton rows, nothing of Baton',
      ),
    );
    await stop(bareCluster);
  }

  // Each setup gets fresh copies of the seeded files (addPerson rows write).
  let copies = 0;
  const copyOf = (file: string) => {
    const target = join(work, `copy-${copies++}.db`);
    copyFileSync(file, target);
    return target;
  };
  const largeCopy = (file = largeDb) => (selected(largeRow) ? copyOf(file) : null);
  const afterDist = flags.dist ?? join(root, 'dist');
  const afterEnv = { WORKERS: flags.workers };
  // The before build serves the schema its own migrations made (its seed above), without migrating.
  const beforeEnv = { MIGRATE_ON_START: 'false', WORKERS: flags['before-workers'] ?? flags.workers };
  const setups: Setup[] = [];
  if (flags.before) {
    setups.push({
      label: 'before',
      dist: flags.before,
      small: copyOf(beforeSmallDb),
      large: largeCopy(beforeLargeDb),
      env: beforeEnv,
    });
  }
  setups.push({ label: 'after', dist: afterDist, small: copyOf(smallDb), large: largeCopy(), env: afterEnv });
  const postgres = flags.pg ? await startThrowawayPostgres(log, { statements: flags['pg-statements'] }) : null;
  if (postgres) postgresCpuMs = () => postgres.cpuMs();
  try {
    if (postgres) {
      for (const [label, dist, env] of [
        ...(flags.before ? [['before', flags.before, beforeEnv] as const] : []),
        ['after', afterDist, afterEnv] as const,
      ]) {
        const url = await postgres.createDatabase(`bench_${label}`);
        const t0 = performance.now();
        const report = await copySqliteToPostgres(copyOf(smallDb), url);
        if (!report.ok) throw new Error(`copy to PostgreSQL failed: ${JSON.stringify(report.tables)}`);
        log(`copied the 1,000-conference seed to PostgreSQL in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        setups.push({ label: `${label} PG`, dist, small: url, large: null, env: { ...env } });
      }
    }
    for (const setup of setups) {
      if (flags['pg-only'] && postgres && !setup.label.endsWith(' PG')) continue;
      postgresUrl = setup.label.endsWith(' PG') ? setup.small : undefined;
      await runBatonRows(setup);
    }
  } finally {
    postgres?.stop();
  }

  // …and the ceiling after, so drift in the machine's load shows.
  bare = await startChild('bare', ['--import', 'tsx', join(root, 'bench', 'bare-server.ts')], process.env);
  rows.push(await measure('bare node:http (after)', bare, bareCall));
  await stop(bare);

  const report = render(rows, servers, { startedAt, machineLine });
  process.stdout.write(report);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, flags.quick ? 'latest-quick.md' : 'latest.md'), report);
  log(`saved to bench/results/${flags.quick ? 'latest-quick.md' : 'latest.md'}`);

  if (flags.profile) {
    for (const server of readdirSync(profileDir)) {
      // Oldest first: the cluster's primary starts (and names its file) before its workers.
      const files = readdirSync(join(profileDir, server))
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort();
      for (const file of files) {
        const path = join(profileDir, server, file);
        process.stdout.write(`\n## Profile ${server}/${file}\n\n${summariseProfile(path, 25)}\n`);
      }
    }
    log(`profiles in ${profileDir}`);
  }
  rmSync(work, { recursive: true, force: true });
}

/** The bare row that sends getConferenceData's own bytes: not part of the bare mean, the ceiling of that row only. */
const sameBytesRowName = 'bare node:http, same bytes as getConferenceData';

/** The bare server run as WORKERS cluster workers: not part of the bare mean (the ratios stay to one process). */
function clusterRowName(): string {
  return `bare node:http, ${flags.workers} cluster workers`;
}

function render(
  rows: Row[],
  servers: { name: string; peakRssMb: number }[],
  info: { startedAt: Date; machineLine: string },
): string {
  const bareRates = rows
    .filter((r) => r.name.startsWith('bare') && r.name !== sameBytesRowName && r.name !== clusterRowName() && r.result)
    .map((r) => r.result!.requestsPerSecond);
  const bareRate = bareRates.reduce((a, b) => a + b, 0) / bareRates.length;
  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  const lines: string[] = [];
  lines.push(`# Baton benchmark${flags.quick ? ' (--quick)' : ''}`);
  lines.push('');
  lines.push(`- ${info.startedAt.toISOString()}; ${info.machineLine}`);
  lines.push(
    `- autocannon in its own process, ${connections} connections, pipelining 1, ${warmup} s warm-up + ${duration} s per row; ` +
      `ratio = req/s ÷ the mean of the two bare node:http runs (${fmt(bareRate, 0)} req/s)`,
  );
  lines.push(
    `- Baton: \`node <build>/src/cli/main.js serve\` (after: ${flags.dist ?? 'dist'}, WORKERS=${flags.workers}${flags.before ? `; before: ${flags.before}, WORKERS=${flags['before-workers'] ?? 'the same'}` : ''}), LOG_LEVEL=warn, ` +
      'a fresh copy of the seeded SQLite file per setup (PG: the 1,000-conference seed copied into a throwaway PostgreSQL 15); reads ask for JSON. ' +
      'The wrong-key row runs on a server with AUTH_FAILURE_LIMIT=0, so it measures authentication, not the throttle. ' +
      "Server CPU = user + system time of the server's processes (primary and workers, from /proc) per request (less sensitive to a busy machine than req/s).",
  );
  if (flags.profile) lines.push('- **Profiled run (--cpu-prof): figures are lower than an unprofiled run.**');
  lines.push('');
  lines.push('| Row | req/s | p50 ms | p99 ms | vs bare | server CPU µs/req | note |');
  lines.push('|---|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    if (!row.result) {
      lines.push(`| ${row.name} | – | – | – | – | – | not measured: ${row.skipped ?? ''} |`);
      continue;
    }
    const r = row.result;
    const faults = r.errors + r.timeouts + r.non2xx + r.mismatches;
    const note = [row.note, faults > 0 ? `**${faults} bad answers**` : ''].filter(Boolean).join('; ');
    lines.push(
      `| ${row.name} | ${fmt(r.requestsPerSecond, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt((100 * r.requestsPerSecond) / bareRate, 0)}% | ${fmt(1000 * (row.cpuPerRequest ?? NaN), 0)} | ${note} |`,
    );
  }
  const peak = Math.max(...servers.map((s) => s.peakRssMb));
  lines.push(
    `| peak RSS (VmHWM) | | | | | | ${fmt(peak, 0)} MB max (${servers.map((s) => `${s.name} ${fmt(s.peakRssMb, 0)} MB`).join(', ')}) |`,
  );
  lines.push('');

  // Targets of the hot-path work (ratios to bare in the same run).
  const get = (name: string) => rows.find((r) => r.name === name)?.result;
  const cpu = (name: string) => rows.find((r) => r.name === name && r.result)?.cpuPerRequest;
  const check = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');
  const ratio = (name: string) => {
    const r = get(name);
    return r ? r.requestsPerSecond / bareRate : undefined;
  };
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${fmt(100 * x, 0)}%`);
  const atLeast = (label: string, row: string, min: number) => {
    const x = ratio(`${label} · ${row}`);
    lines.push(
      `| ${label}: ${row} ≥ ${fmt(100 * min, 0)}% of bare | ${pct(x)} | ${check(x === undefined ? undefined : x >= min)} |`,
    );
  };
  lines.push('| Target | Measured | |');
  lines.push('|---|---|---|');
  atLeast('after', 'addPerson (JSON)', 0.3);
  atLeast('after', 'addPerson (XML)', 0.3);
  atLeast('after', 'getConference', 0.7);
  atLeast('after', 'mixed', 0.4);
  const up1k = get('after · getUpcomingConference (1,000)');
  const up100k = get('after · getUpcomingConference (100,000)');
  // Growth as server CPU per request (what a shared machine moves least), req/s beside it.
  const cpu1k = cpu('after · getUpcomingConference (1,000)');
  const cpu100k = cpu('after · getUpcomingConference (100,000)');
  const growth = cpu1k !== undefined && cpu100k !== undefined ? cpu100k / cpu1k : undefined;
  const rateGrowth = up1k && up100k ? up1k.requestsPerSecond / up100k.requestsPerSecond : undefined;
  lines.push(
    `| after: getUpcomingConference at 100,000 within 1.2× of 1,000 | ${growth === undefined ? '–' : `${fmt(growth, 2)}× the CPU per request (${fmt(1000 * cpu1k!, 0)} → ${fmt(1000 * cpu100k!, 0)} µs), ${fmt(rateGrowth!, 2)}× in req/s`} | ${check(growth === undefined ? undefined : growth <= 1.2)} |`,
  );
  const sqliteAfter = rows.filter(
    (r) => r.result && r.name.startsWith('after · ') && !r.name.includes('getConferenceData'),
  );
  const worstP99 = sqliteAfter.reduce((m, r) => Math.max(m, r.result!.p99), 0);
  const worstRow = sqliteAfter.find((r) => r.result!.p99 === worstP99)?.name ?? '';
  lines.push(
    `| after: p99 < 10 ms at ${connections} connections (but getConferenceData) | worst ${fmt(worstP99)} ms (${worstRow}) | ${check(sqliteAfter.length ? worstP99 < 10 : undefined)} |`,
  );
  // The same rows against the bare server in their own layout (WORKERS cluster workers): reported, no target.
  const cluster = get(clusterRowName());
  if (cluster) {
    const layout = ['getConference', 'wrong key (auth failure)', 'mixed', 'addPerson (JSON)']
      .map((row) => [row, get(`after · ${row}`)] as const)
      .filter(([, r]) => r !== undefined)
      .map(([row, r]) => `${row} ${pct(r!.requestsPerSecond / cluster.requestsPerSecond)}`);
    lines.push(
      `| after, against the bare server as ${flags.workers} cluster workers (${fmt(cluster.requestsPerSecond, 0)} req/s) | ${layout.join(', ')} | reported (no target) |`,
    );
  }
  const sameBytes = get(sameBytesRowName);
  for (const label of ['after', 'after PG']) {
    const data = get(`${label} · getConferenceData`);
    if (!sameBytes || !data) continue;
    const cpuData = cpu(`${label} · getConferenceData`);
    const cpuBare = cpu(sameBytesRowName);
    lines.push(
      `| ${label}: getConferenceData vs a bare server sending the same bytes | ${pct(data.requestsPerSecond / sameBytes.requestsPerSecond)} ` +
        `(${fmt(data.requestsPerSecond, 0)} vs ${fmt(sameBytes.requestsPerSecond, 0)} req/s; CPU ${fmt(1000 * (cpuData ?? NaN), 0)} vs ${fmt(1000 * (cpuBare ?? NaN), 0)} µs/req) | reported (no target) |`,
    );
  }
  const afterServers = servers.filter((x) => x.name.startsWith('after'));
  const afterPeak = Math.max(...afterServers.map((x) => x.peakRssMb));
  const peakName = afterServers.find((x) => x.peakRssMb === afterPeak)?.name ?? '';
  lines.push(
    `| after: peak RSS < 150 MB per worker | ${fmt(afterPeak, 0)} MB (${peakName}) | ${check(Number.isFinite(afterPeak) ? afterPeak < 150 : undefined)} |`,
  );
  atLeast('after PG', 'addPerson (JSON)', 0.1);
  atLeast('after PG', 'getConference', 0.2);
  // The cost of metrics and of the request log line, as server CPU per request against the plain row.
  const cost = (name: string) => {
    const [on, off] = [cpu(`after · ${name}`), cpu('after · getConference')];
    if (on === undefined || off === undefined) return 'not measured';
    return `${fmt(1000 * (on - off), 0)} µs/request (${fmt((100 * (on - off)) / off, 0)}% of ${fmt(1000 * off, 0)} µs)`;
  };
  lines.push(`| cost of metrics on getConference (server CPU, on − off) | ${cost('getConference (metrics on)')} | |`);
  lines.push(`| cost of the request log line (LOG_LEVEL=info − warn) | ${cost('getConference (LOG_LEVEL=info)')} | |`);
  lines.push('');
  return lines.join('\n');
}

await main();
