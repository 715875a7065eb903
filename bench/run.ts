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
 *   --quick          short runs (development)
 *   --profile        run the servers with --cpu-prof and print their top self-time functions
 *   --only <a,b>     only the rows whose name contains one of these (the bare rows always run)
 *   --no-build       use dist/ as it is
 *   --dist <dir>     serve the build in <dir> instead of dist/ (A/B comparisons; implies --no-build)
 *   --connections N  default 32
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadJob, LoadResult } from './load.js';
import { summariseProfile } from './profile-summary.js';
import { seedDatabase, type Seeded } from './seed.js';

const root = new URL('..', import.meta.url).pathname;
const resultsDir = join(root, 'bench', 'results');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    dist: { type: 'string' },
    connections: { type: 'string', default: '32' },
  },
});
const connections = Number(flags.connections);
const duration = flags.quick ? 3 : 10;
const warmup = flags.quick ? 1 : 3;

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

/** Peak resident set size of a process, in MB (VmHWM: the kernel's high-water mark). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function stop(target: Target): Promise<void> {
  if (target.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => target.child.once('exit', () => resolve()));
  target.child.kill('SIGTERM');
  await exited;
}

/** Runs the load generator in its own process and reads its summary. */
function load(job: LoadJob): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'load.ts'), JSON.stringify(job)], {
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
  return flags.only.split(',').some((part) => name.toLowerCase().includes(part.trim().toLowerCase()));
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
  log(`${name}: ${warmup} s warm-up, ${duration} s at ${connections} connections…`);
  const job: LoadJob = {
    url: target.url + call.path,
    method: call.method,
    body: call.body,
    headers,
    connections,
    duration: warmup,
    expect: call.expect,
    uniqueHeader: call.uniqueHeader,
  };
  await load(job);
  const cpuBefore = cpuMs(target.child.pid!);
  const result = await load({ ...job, duration });
  const cpuPerRequest = (cpuMs(target.child.pid!) - cpuBefore) / result.requests;
  log(
    `  ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
      `server CPU ${(1000 * cpuPerRequest).toFixed(0)} µs/request`,
  );
  return { name, note, result, cpuPerRequest };
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
  const seed = async (file: string, conferences: number): Promise<Seeded> => {
    const t0 = performance.now();
    const seeded = await seedDatabase(file, { ...seedOptions, conferences });
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

  const servers: { name: string; peakRssMb: number }[] = [];
  const startBaton = (name: string, database: string, extraEnv: Record<string, string> = {}) =>
    startChild(
      name,
      [
        ...(flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []),
        join(flags.dist ?? join(root, 'dist'), 'src', 'cli', 'main.js'),
        'serve',
      ],
      {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: database,
        LOG_LEVEL: 'warn',
        MAIL_OUTBOX_DIR: join(work, 'outbox'),
        ...extraEnv,
      },
    );
  const stopBaton = async (target: Target) => {
    servers.push({ name: target.name, peakRssMb: peakRssMb(target.child.pid!) });
    await stop(target);
  };

  const auth = (s: Seeded) => ({ customer: s.customer, key: s.key });
  const jsonOk = '"code":0}';
  const rows: Row[] = [];
  const bareCall: Call = { path: '/_access/getConference?type=json', method: 'GET', expect: jsonOk };

  // The ceiling, before…
  let bare = await startChild('bare', ['--import', 'tsx', join(root, 'bench', 'bare-server.ts')], process.env);
  rows.push(await measure('bare node:http (before)', bare, bareCall));
  await stop(bare);

  // Baton on 1,000 conferences.
  let baton = await startBaton('baton-1k', smallDb);
  const addPersonBody = query({
    ...auth(small),
    conference: small.openConference,
    role: 'PARTICIPANT',
    name: 'Bench Person',
    email: 'bench@example.com',
  });
  rows.push(
    await measure('addPerson (JSON)', baton, {
      path: '/_access/addPerson?type=json',
      method: 'POST',
      body: addPersonBody,
      expect: jsonOk,
    }),
  );
  rows.push(
    await measure(
      'addPerson (JSON, Idempotency-Key)',
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
      'addPerson (JSON, repeated key)',
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
  rows.push(
    await measure('addPerson (XML)', baton, {
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
  rows.push(await measure('getConference', baton, getConferenceCall, `${seedOptions.smallPersons} persons`));
  rows.push(
    await measure(
      'getConferenceData',
      baton,
      {
        path: `/_access/getConferenceData?${query({ type: 'json', ...auth(small), conferenceUID: small.dataConference })}`,
        method: 'GET',
        expect: jsonOk,
      },
      `${seedOptions.dataPersons} persons`,
    ),
  );
  const upcoming = (s: Seeded) => ({
    path: `/_access/getUpcomingConference?${query({ type: 'json', ...auth(s) })}`,
    method: 'GET' as const,
    expect: jsonOk,
  });
  const upcomingNote = (s: Seeded) =>
    `${s.conferences.toLocaleString('en-US')} conferences, ${seedOptions.upcoming} upcoming returned`;
  rows.push(await measure('getUpcomingConference (1,000)', baton, upcoming(small), upcomingNote(small)));
  await stopBaton(baton);

  // What operations cost on the hot path: the same getConference with metrics counted
  // (METRICS_TOKEN set; nobody scrapes), and with the one info line per request written.
  baton = await startBaton('baton-metrics', smallDb, { METRICS_TOKEN: 'bench-metrics-token-0123456789' });
  rows.push(await measure('getConference (metrics on)', baton, getConferenceCall, 'METRICS_TOKEN set'));
  await stopBaton(baton);
  baton = await startBaton('baton-log-info', smallDb, { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
  rows.push(await measure('getConference (LOG_LEVEL=info)', baton, getConferenceCall, 'one JSON line per request'));
  await stopBaton(baton);

  // Baton on 100,000 conferences.
  if (selected(largeRow)) {
    baton = await startBaton('baton-100k', largeDb);
    rows.push(await measure(largeRow, baton, upcoming(large), upcomingNote(large)));
    await stopBaton(baton);
  } else {
    rows.push({ name: largeRow, skipped: 'not selected (--only)' });
  }

  // The auth-failure path, with the failure throttle off so every request is authenticated.
  baton = await startBaton('baton-auth', smallDb, { AUTH_FAILURE_LIMIT: '0' });
  rows.push(
    await measure(
      'wrong key (auth failure)',
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
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      process.stdout.write(`\n## Profile ${file}\n\n${summariseProfile(join(profileDir, file), 25)}\n`);
    }
    log(`profiles in ${profileDir}`);
  }
  rmSync(work, { recursive: true, force: true });
}

function render(
  rows: Row[],
  servers: { name: string; peakRssMb: number }[],
  info: { startedAt: Date; machineLine: string },
): string {
  const bareRates = rows.filter((r) => r.name.startsWith('bare') && r.result).map((r) => r.result!.requestsPerSecond);
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
    `- Baton: \`node ${flags.dist ?? 'dist'}/src/cli/main.js serve\`, LOG_LEVEL=warn, fresh SQLite file; reads ask for JSON. ` +
      'The "metrics on" and "LOG_LEVEL=info" rows repeat getConference on a server counting for /metrics, or writing its request line. ' +
      'The wrong-key row runs on a server with AUTH_FAILURE_LIMIT=0, so it measures authentication, not the throttle. ' +
      "Server CPU = the server process's user + system time per request (less sensitive to a busy machine than req/s).",
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

  // Targets.
  const get = (name: string) => rows.find((r) => r.name === name)?.result;
  const check = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');
  const ratio = (name: string) => {
    const r = get(name);
    return r ? r.requestsPerSecond / bareRate : undefined;
  };
  const addJson = ratio('addPerson (JSON)');
  const addXml = ratio('addPerson (XML)');
  const getConf = ratio('getConference');
  const up1k = get('getUpcomingConference (1,000)');
  const up100k = get('getUpcomingConference (100,000)');
  const growth = up1k && up100k ? up1k.requestsPerSecond / up100k.requestsPerSecond : undefined;
  const baton = rows.filter((r) => r.result && !r.name.startsWith('bare'));
  const worstP99 = baton.reduce((m, r) => Math.max(m, r.result!.p99), 0);
  const worstRow = baton.find((r) => r.result!.p99 === worstP99)?.name ?? '';
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${fmt(100 * x, 0)}%`);
  lines.push('| Target | Measured | |');
  lines.push('|---|---|---|');
  lines.push(
    `| addPerson ≥ 50% of bare | JSON ${pct(addJson)}, XML ${pct(addXml)} | ${check(addJson === undefined || addXml === undefined ? undefined : Math.min(addJson, addXml) >= 0.5)} |`,
  );
  lines.push(
    `| getConference ≥ 70% of bare | ${pct(getConf)} | ${check(getConf === undefined ? undefined : getConf >= 0.7)} |`,
  );
  lines.push(
    `| getUpcomingConference at 100,000 within 2× of 1,000 | ${growth === undefined ? '–' : `${fmt(growth, 2)}× the time per request`} | ${check(growth === undefined ? undefined : growth <= 2)} |`,
  );
  lines.push(
    `| p99 < 25 ms at ${connections} connections | worst ${fmt(worstP99)} ms (${worstRow}) | ${check(baton.length ? worstP99 < 25 : undefined)} |`,
  );
  lines.push(`| peak RSS < 200 MB | ${fmt(peak, 0)} MB | ${check(peak < 200)} |`);
  // The cost of metrics and of the request log line, as server CPU per request against the plain row.
  const cpu = (name: string) => rows.find((r) => r.name === name && r.result)?.cpuPerRequest;
  const cost = (name: string) => {
    const [on, off] = [cpu(name), cpu('getConference')];
    if (on === undefined || off === undefined) return 'not measured';
    return `${fmt(1000 * (on - off), 0)} µs/request (${fmt((100 * (on - off)) / off, 0)}% of ${fmt(1000 * off, 0)} µs)`;
  };
  lines.push(`| cost of metrics on getConference (server CPU, on − off) | ${cost('getConference (metrics on)')} | |`);
  lines.push(`| cost of the request log line (LOG_LEVEL=info − warn) | ${cost('getConference (LOG_LEVEL=info)')} | |`);
  lines.push('');
  return lines.join('\n');
}

await main();
