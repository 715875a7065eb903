/**
 * The cost of the SQLite write path alone, without HTTP: what a server does
 * for each addPerson once its parameters are parsed (answerCall inside a
 * write group), `batch` calls per event-loop turn. Prints the process's CPU per call (user +
 * system, process.cpuUsage), so changes to the write path can be compared on
 * a shared machine without the load generator's noise.
 *
 *   node --import tsx bench/write-path.ts [calls=20000] [batch=16]
 *
 * PRAGMAS="a=1;b=2" sets pragmas on the connection first (e.g.
 * wal_autocheckpoint=0 to see what the checkpoints cost the writer);
 * SQL="…" runs statements on the seeded file first (e.g. `drop index x`, to
 * see what an index costs). CHECKPOINT_THREAD=1 opens the store as a server of one process does, its
 * checkpoints in a thread. BREAKDOWN=1 also prints the CPU time each
 * statement took per call (process.cpuUsage around its synchronous run; the
 * measuring adds about a microsecond a statement), the rest being JavaScript.
 * WRITERS=2 opens a second connection on the file and alternates the groups
 * between the two, as two cluster workers taking turns with the write token
 * do (each group then finds its connection's page cache stale: the other
 * connection committed since).
 *
 * ALLOC=1 then measures what a call allocates on V8's heap: 2,000 more
 * calls with no garbage collection inside them (run it with
 * `--min-semi-space-size=128 --max-semi-space-size=128` so none comes), the heap's growth divided by
 * the calls; it says so when a collection came anyway. HEAP_PROFILE=1 also
 * samples those allocations (V8's sampling heap profiler keeping what a
 * collection would free, 256-byte interval) and prints the functions that
 * allocated most, by self size.
 */
import type SqliteDatabase from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { addPerson } from '../src/functions/add-person.js';
import { answerCall } from '../src/protocol/answer-call.js';
import { openStore, sqliteExecutorOf } from '../src/store/database.js';
import { addPersonSetup } from './add-person-setup.js';

const calls = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 16);
const { work, file, store, services, customer, params } = await addPersonSetup('baton-write-path-', {
  checkpointInBackground: process.env.CHECKPOINT_THREAD === '1',
});
for (const pragma of (process.env.PRAGMAS ?? '').split(';').filter(Boolean))
  sqliteExecutorOf(store.db)!.sqlite.pragma(pragma);
if (process.env.SQL) sqliteExecutorOf(store.db)!.sqlite.exec(process.env.SQL);
const timings = new Map<string, { ns: bigint; runs: number }>();
if (process.env.BREAKDOWN === '1') timeStatements(sqliteExecutorOf(store.db)!.sqlite);

const writers = [services];
if (process.env.WRITERS === '2') {
  const second = openStore(file, { checkpointElsewhere: true });
  for (const pragma of (process.env.PRAGMAS ?? '').split(';').filter(Boolean))
    sqliteExecutorOf(second.db)!.sqlite.pragma(pragma);
  writers.push({ ...services, store: second });
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const run = async (n: number) => {
  for (let done = 0, g = 0; done < n; done += batch, g++) {
    const services = writers[g % writers.length]!;
    const group = Array.from({ length: Math.min(batch, n - done) }, () =>
      Promise.resolve(answerCall({ services, customer }, addPerson, params)),
    );
    await Promise.all(group);
    await turn();
  }
};
await run(2_000); // warm-up
timings.clear();
const before = process.cpuUsage();
const started = performance.now();
await run(calls);
const used = process.cpuUsage(before);
const wall = performance.now() - started;
process.stdout.write(
  `${calls} addPerson in groups of ${batch}: ${((used.user + used.system) / calls).toFixed(1)} µs CPU/call ` +
    `(user ${(used.user / calls).toFixed(1)}, system ${(used.system / calls).toFixed(1)}), ` +
    `${((1000 * calls) / wall).toFixed(0)} calls/s\n`,
);
const sorted = [...timings].sort((a, b) => Number(b[1].ns - a[1].ns));
let statementsNs = 0n;
for (const [sqlText, { ns, runs }] of sorted) {
  statementsNs += ns;
  process.stdout.write(
    `${(Number(ns) / 1000 / calls).toFixed(1).padStart(7)} µs/call ${String(runs).padStart(7)} runs  ${sqlText.replace(/\s+/g, ' ').slice(0, 110)}\n`,
  );
}
if (sorted.length > 0)
  process.stdout.write(`${(Number(statementsNs) / 1000 / calls).toFixed(1).padStart(7)} µs/call in statements\n`);
if (process.env.ALLOC === '1' || process.env.HEAP_PROFILE === '1') await measureAllocations(2_000);
for (const writer of writers) await writer.store.close();
rmSync(work, { recursive: true, force: true });

/** Wraps every statement `sqlite` prepares (and `exec`) to add up its run time by SQL text. */
function timeStatements(sqlite: SqliteDatabase.Database): void {
  const time = <A extends unknown[], R>(sqlText: string, run: (...args: A) => R) =>
    function (this: unknown, ...args: A): R {
      const started = process.cpuUsage();
      try {
        return run.apply(this, args);
      } finally {
        const used = process.cpuUsage(started);
        const entry = timings.get(sqlText) ?? { ns: 0n, runs: 0 };
        entry.ns += BigInt(1000 * (used.user + used.system));
        entry.runs++;
        timings.set(sqlText, entry);
      }
    };
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((sqlText: string) => {
    const statement = prepare(sqlText);
    for (const method of ['run', 'all', 'get'] as const) {
      (statement as unknown as Record<string, unknown>)[method] = time(sqlText, statement[method].bind(statement));
    }
    return statement;
  }) as typeof sqlite.prepare;
  const exec = sqlite.exec.bind(sqlite);
  sqlite.exec = ((sqlText: string) => time(sqlText, exec)(sqlText)) as typeof sqlite.exec;
}

/** What `n` calls allocate on V8's heap (see ALLOC and HEAP_PROFILE above). */
async function measureAllocations(n: number): Promise<void> {
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const session = process.env.HEAP_PROFILE === '1' ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  await run(200); // the measuring's own first allocations
  const before = getHeapStatistics().used_heap_size;
  await run(n);
  const grown = getHeapStatistics().used_heap_size - before;
  await new Promise((resolve) => setImmediate(resolve)); // the observer's entries
  observer.disconnect();
  process.stdout.write(
    `allocated ${(grown / n / 1024).toFixed(2)} KB/call over ${n} calls` +
      (collections > 0 ? ` (${collections} collections came: an underestimate)\n` : ' (no collection)\n'),
  );
  if (!session) return;
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { head: ProfileNode };
  };
  session.disconnect();
  const bySite = new Map<string, number>();
  const walk = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${lineNumber + 1}`;
    const self = node.selfSize;
    if (self > 0) bySite.set(site, (bySite.get(site) ?? 0) + self);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`sampled ${(total / (n + 200) / 1024).toFixed(2)} KB/call; by function (self):\n`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30))
    process.stdout.write(`${(bytes / (n + 200)).toFixed(0).padStart(7)} B/call  ${site}\n`);
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
