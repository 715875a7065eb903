/**
 * Where a cached read's CPU goes with WORKERS=1 against WORKERS=2: per
 * process of the server's tree (the cluster's primary and each worker), the
 * CPU per request, the context switches per request (voluntary: the process
 * waited for work; involuntary: the kernel took the core away), the time it
 * waited for a core (`/proc/<pid>/schedstat`), and — with `--strace` — the
 * event loop's wakeups (`epoll_wait` calls) per request.
 *
 *   node --import tsx bench/worker-cost.ts [--workers 2] [--seconds 4] [--warmup 1] [--row getConference|wrong|upcoming|addPerson|mixed]
 *        [--dist dist] [--strace] [--connections 32] [--node-options '--trace-gc']
 *
 * `mixed` is `npm run bench`'s mixed row: the same 200-request sequence over
 * the same 100 conferences (90% getConference, 10% addPerson on 10 of them).
 *
 * Uses the built server (`npm run build` first) on a fresh 1,000-conference seed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { childPids, statFields } from './proc.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadJob } from './load.js';
import { loadInChild as load } from './load-child.js';
import { mixedConferencesOf, seedDatabase } from './seed.js';

const root = new URL('..', import.meta.url).pathname;
const { values: flags } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '4' },
    /** Seconds of load before the measured window (V8 compiles the hot code meanwhile). */
    warmup: { type: 'string', default: '1' },
    row: { type: 'string', default: 'getConference' },
    dist: { type: 'string', default: join(root, 'dist') },
    strace: { type: 'boolean', default: false },
    connections: { type: 'string', default: '32' },
    'node-options': { type: 'string', default: '' },
    env: { type: 'string', multiple: true, default: [] },
    /** Measure bench/bare-server.ts instead of Baton (the ceiling, with the same probes). */
    bare: { type: 'boolean', default: false },
    /** Node arguments of the server (the workers inherit them; see workerExecArgv). */
    'exec-arg': { type: 'string', multiple: true, default: [] },
  },
});

/** One process's counters at one moment. */
interface Sample {
  cpuMs: number;
  voluntary: number;
  involuntary: number;
  /** schedstat: ns on a core, ns waiting for one, timeslices. */
  runNs: number;
  waitNs: number;
  slices: number;
}

/** A process's counters summed over its threads (the main thread, libuv's pool, V8's helpers). */
function sample(pid: number): Sample {
  const fields = statFields(pid);
  const s: Sample = {
    cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
    voluntary: 0,
    involuntary: 0,
    runNs: 0,
    waitNs: 0,
    slices: 0,
  };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      s.voluntary += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      s.involuntary += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
      s.runNs += Number(run);
      s.waitNs += Number(wait);
      s.slices += Number(slices);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return s;
}

/** On-core ns of each thread of `pid`, by thread name (V8's helpers, libuv's pool, the main thread). */
function threadRuns(pid: number): Map<string, number> {
  const runs = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const run = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      runs.set(name, (runs.get(name) ?? 0) + run);
    } catch {
      // gone meanwhile
    }
  }
  return runs;
}

/** Milliseconds since `pid` started (what V8's --trace-gc lines count from, near enough). */
function msSinceStart(pid: number): number {
  const startTicks = Number(statFields(pid)[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return uptime * 1000 - startTicks * 10;
}

function mainThread(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const [run, wait, slices] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ');
  return {
    cpuMs: 0,
    voluntary: Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0),
    involuntary: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0),
    runNs: Number(run),
    waitNs: Number(wait),
    slices: Number(slices),
  };
}

/** What the server wrote on stdout (with --trace-gc-nvp: one line per collection). */
const serverOut: string[] = [];

async function startServer(database: string): Promise<{ child: ChildProcess; url: string }> {
  const extraEnv = Object.fromEntries(flags.env.map((pair) => pair.split('=', 2) as [string, string]));
  const child = spawn(
    process.execPath,
    flags.bare
      ? [...flags['exec-arg'], '--import', 'tsx', join(root, 'bench', 'bare-server.ts')]
      : [...flags['exec-arg'], join(flags.dist, 'src', 'cli', 'main.js'), 'serve'],
    {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: database,
        LOG_LEVEL: 'warn',
        JOB_INTERVAL_SECONDS: '0',
        WORKERS: flags.workers,
        AUTH_FAILURE_LIMIT: '0',
        NODE_OPTIONS: flags['node-options'],
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      serverOut.push(chunk.toString());
      if ([flags['node-options'], ...flags['exec-arg']].some((a) => a.includes('trace-gc')))
        process.stdout.write(chunk);
      const match = /Baton listening on (http:\/\/\S+)/.exec(out) ?? /listening on (http:\/\/\S+)/.exec(out);
      if (match && (flags.bare || flags.workers === '1' || out.includes('Baton listening'))) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, url };
}

const work = mkdtempSync(join(tmpdir(), 'baton-worker-cost-'));
try {
  const database = join(work, 'small.sqlite');
  const seeded = await seedDatabase(database, {
    conferences: 1000,
    upcoming: 50,
    dataPersons: 500,
    smallPersons: 10,
    now: Date.now(),
  });
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const path =
    flags.row === 'wrong'
      ? `/_access/getConference?${q({ type: 'json', customer: seeded.customer, key: 'not-the-key-of-this-customer', conferenceUID: seeded.smallConference })}`
      : flags.row === 'upcoming'
        ? `/_access/getUpcomingConference?${q({ type: 'json', customer: seeded.customer, key: seeded.key })}`
        : `/_access/getConference?${q({ type: 'json', customer: seeded.customer, key: seeded.key, conferenceUID: seeded.smallConference })}`;
  const expect = flags.row === 'wrong' && !flags.bare ? '"code":-5}' : '"code":0}';
  const { child, url } = await startServer(database);
  const primary = child.pid!;
  // addPerson: the bench's command row (POST form body, JSON, on the reservationless conference).
  const command =
    flags.row === 'addPerson' && !flags.bare
      ? {
          method: 'POST' as const,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: q({
            customer: seeded.customer,
            key: seeded.key,
            conference: seeded.openConference,
            role: 'PARTICIPANT',
            name: 'Bench Person',
            email: 'bench@example.com',
          }),
        }
      : undefined;
  // mixed: the bench's mixed row (bench/run.ts), its conferences chosen by the same query.
  const mixedConferences = flags.row === 'mixed' ? mixedConferencesOf(database, seeded) : [];
  const auth = { customer: seeded.customer, key: seeded.key };
  const mixed: LoadJob['requests'] =
    flags.row === 'mixed'
      ? Array.from({ length: 200 }, (_, i) =>
          i % 10 === 9
            ? {
                method: 'POST' as const,
                path: '/_access/addPerson?type=json',
                body: q({
                  ...auth,
                  conference: mixedConferences[(i * 13) % mixedConferences.length]!,
                  role: 'PARTICIPANT',
                  name: 'Bench Person',
                  type: 'json',
                }),
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              }
            : {
                method: 'GET' as const,
                path: `/_access/getConference?${q({ type: 'json', ...auth, conferenceUID: mixedConferences[(i * 7) % mixedConferences.length]! })}`,
              },
        )
      : undefined;
  const base: Omit<LoadJob, 'duration'> = {
    url: url + (command ? '/_access/addPerson?type=json' : mixed ? mixed[0]!.path : path),
    method: 'GET',
    ...command,
    ...(mixed ? { requests: mixed } : {}),
    connections: Number(flags.connections),
    expect,
  };
  await load({ ...base, duration: Number(flags.warmup) });
  const pids = [primary, ...(flags.workers === '1' || flags.bare ? [] : childPids(primary))];
  const before = new Map(pids.map((pid) => [pid, sample(pid)]));
  const beforeMain = new Map(pids.map((pid) => [pid, mainThread(pid)]));
  const beforeThreads = new Map(pids.map((pid) => [pid, threadRuns(pid)]));
  const windowStart = new Map(pids.map((pid) => [pid, msSinceStart(pid)]));
  const tracer = flags.strace
    ? spawn('strace', ['-c', '-f', ...pids.flatMap((p) => ['-p', String(p)])], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : undefined;
  let traceOut = '';
  tracer?.stderr!.on('data', (chunk: Buffer) => (traceOut += chunk.toString()));
  const result = await load({ ...base, duration: Number(flags.seconds) });
  const after = new Map(pids.map((pid) => [pid, sample(pid)]));
  const afterMain = new Map(pids.map((pid) => [pid, mainThread(pid)]));
  const afterThreads = new Map(pids.map((pid) => [pid, threadRuns(pid)]));
  const windowEnd = new Map(pids.map((pid) => [pid, msSinceStart(pid)]));
  if (tracer) {
    tracer.kill('SIGINT');
    await new Promise((resolve) => tracer.once('exit', resolve));
  }
  const n = result.requests;
  const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  process.stdout.write(
    `${flags.row}, WORKERS=${flags.workers}: ${Math.round(result.requestsPerSecond)} req/s, ${n} requests, p99 ${result.p99} ms, ` +
      `mismatches ${result.mismatches}, load ${load1}\n`,
  );
  let total = 0;
  for (const pid of pids) {
    const a = before.get(pid)!;
    const b = after.get(pid)!;
    const am = beforeMain.get(pid)!;
    const bm = afterMain.get(pid)!;
    total += b.cpuMs - a.cpuMs;
    const per = (x: number) => (x / n).toFixed(3);
    process.stdout.write(
      `  pid ${pid}${pid === primary ? ' (primary)' : ''}: CPU ${(((b.cpuMs - a.cpuMs) * 1000) / n).toFixed(1)} µs/req, ` +
        `on-core ${((b.runNs - a.runNs) / 1000 / n).toFixed(1)} µs/req (main thread ${((bm.runNs - am.runNs) / 1000 / n).toFixed(1)}), ` +
        `waited for a core ${((b.waitNs - a.waitNs) / 1000 / n).toFixed(1)} µs/req (main ${((bm.waitNs - am.waitNs) / 1000 / n).toFixed(1)}), ` +
        `ctxsw/req vol ${per(b.voluntary - a.voluntary)} (main ${per(bm.voluntary - am.voluntary)}) invol ${per(b.involuntary - a.involuntary)} (main ${per(bm.involuntary - am.involuntary)}), ` +
        `slices/req ${per(b.slices - a.slices)}\n`,
    );
    const threads = [...afterThreads.get(pid)!].map(
      ([name, run]) => [name, (run - (beforeThreads.get(pid)!.get(name) ?? 0)) / 1000 / n] as const,
    );
    process.stdout.write(
      `    threads (µs/req): ${threads
        .filter(([, us]) => us >= 0.05)
        .map(([name, us]) => `${name} ${us.toFixed(2)}`)
        .join(', ')}\n`,
    );
  }
  process.stdout.write(`  tree: ${((total * 1000) / n).toFixed(1)} µs/req\n`);
  // --trace-gc-nvp: bytes allocated per request and collections in the measured window, per process.
  let allocated = 0;
  let scavenges = 0;
  let pauses = 0;
  for (const line of serverOut.join('').split('\n')) {
    const m = /^\[(\d+):\S+\]\s+(\d+) ms: pause=([\d.]+) .*?gc=(\S+) .*allocated=(\d+)/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const at = Number(m[2]);
    if (!windowStart.has(pid) || at < windowStart.get(pid)! || at > windowEnd.get(pid)!) continue;
    allocated += Number(m[5]);
    pauses += Number(m[3]);
    if (m[4] === 's') scavenges++;
  }
  if (allocated > 0) {
    process.stdout.write(
      `  GC in the window: ${(allocated / n).toFixed(0)} bytes allocated/req, a scavenge every ${(n / Math.max(scavenges, 1)).toFixed(0)} requests, pauses ${((pauses * 1000) / n).toFixed(2)} µs/req (wall)\n`,
    );
  }
  if (tracer)
    process.stdout.write(
      traceOut
        .split('\n')
        .filter((l) => !l.includes('detached'))
        .join('\n') + `\n  (requests: ${n})\n`,
    );
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
} finally {
  spawnSync('true');
  rmSync(work, { recursive: true, force: true });
}
