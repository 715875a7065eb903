/**
 * Whether a request leaves anything behind: the built server (`WORKERS=1`)
 * under one row's load, and after each phase of it the process's live heap
 * once all its garbage is collected (bench/heap-probe.mjs, on SIGUSR2). A
 * heap that grows with the requests answered is retained state; a flat one
 * means what the old generation's collections find is garbage that lived
 * past its scavenges. `--snapshot` also diffs heap snapshots of the first and
 * the last probe: the constructors whose objects grew, by count and bytes.
 *
 *   node --import tsx bench/retained-heap.ts [--row addPerson|getConference] [--phases 4] [--seconds 5]
 *        [--dist dist] [--snapshot]
 *
 * Uses the built server (`npm run build` first) on a fresh 1,000-conference seed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadJob } from './load.js';
import { loadInChild as load } from './load-child.js';
import { seedDatabase } from './seed.js';

const root = new URL('..', import.meta.url).pathname;
const { values: flags } = parseArgs({
  options: {
    row: { type: 'string', default: 'addPerson' },
    phases: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    dist: { type: 'string', default: join(root, 'dist') },
    snapshot: { type: 'boolean', default: false },
    promoted: { type: 'boolean', default: false },
  },
});

/** Signals the server and waits for what the probe writes. */
async function probe(child: ChildProcess, out: string, n: number): Promise<{ used: number; oldUsed: number }> {
  const file = `${out}.${child.pid}.${n}.json`;
  child.kill('SIGUSR2');
  for (let waited = 0; !existsSync(file) || (flags.snapshot && !snapshotDone(child, out, n)); waited += 100) {
    if (waited > 120_000) throw new Error('no answer from the heap probe');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return JSON.parse(readFileSync(file, 'utf8')) as { used: number; oldUsed: number };
}

function snapshotDone(child: ChildProcess, out: string, n: number): boolean {
  const file = `${out}.${child.pid}.${n}.heapsnapshot`;
  if (!existsSync(file)) return false;
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/** A heap snapshot's objects summed by type and constructor name (strings as one entry). */
function byConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sums = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? '(string)'
        : snap.strings[snap.nodes[i + nameAt!]!]!;
    const key = `${type} ${name.slice(0, 60)}`;
    const sum = sums.get(key) ?? { count: 0, bytes: 0 };
    sum.count++;
    sum.bytes += snap.nodes[i + sizeAt!]!;
    sums.set(key, sum);
  }
  return sums;
}

/** A node of V8's sampling heap profile. */
interface HeapProfileNode {
  id: number;
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: HeapProfileNode[];
}

/**
 * The first phase's promoted bytes a request: by the function that allocated
 * them, and by its stack's nearest frames of Baton's own (`dist/src`).
 */
function printPromoted(
  profile: { head: HeapProfileNode; samples: { size: number; nodeId: number }[] },
  requests: number,
) {
  const bySelf = new Map<string, number>();
  const byOwn = new Map<string, number>();
  const frame = (node: HeapProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(dist\/|node_modules\/)/, '$1')}:${node.callFrame.lineNumber + 1}`;
  let total = 0;
  const walk = (node: HeapProfileNode, stack: HeapProfileNode[]) => {
    const path = [...stack, node];
    if (node.selfSize > 0) {
      total += node.selfSize;
      bySelf.set(frame(node), (bySelf.get(frame(node)) ?? 0) + node.selfSize);
      const own = path
        .filter((n) => n.callFrame.url.includes('/dist/src/'))
        .slice(-2)
        .map(frame)
        .join(' < ');
      const key = `${frame(node)}  [${own || 'no Baton frame'}]`;
      byOwn.set(key, (byOwn.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, path);
  };
  walk(profile.head, []);
  process.stdout.write(
    `  promoted in the first phase (sampled, 256-byte interval): ${(total / requests).toFixed(0)} bytes a request\n`,
  );
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, bytes]) => `    ${(bytes / requests).toFixed(1).padStart(7)} B/req  ${key}\n`)
      .join('');
  process.stdout.write(`  by the allocating function:\n${top(bySelf, 20)}`);
  process.stdout.write(`  by the allocating function and Baton's nearest frames:\n${top(byOwn, 25)}`);
}

const work = mkdtempSync(join(tmpdir(), 'baton-retained-'));
try {
  const database = join(work, 'small.sqlite');
  const seeded = await seedDatabase(database, {
    conferences: 1000,
    upcoming: 50,
    dataPersons: 500,
    smallPersons: 10,
    now: Date.now(),
  });
  const out = join(work, 'probe');
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      join(root, 'bench', 'heap-probe.mjs'),
      join(flags.dist, 'src', 'cli', 'main.js'),
      'serve',
    ],
    {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: database,
        LOG_LEVEL: 'warn',
        JOB_INTERVAL_SECONDS: '0',
        WORKERS: '1',
        AUTH_FAILURE_LIMIT: '0',
        HEAP_PROBE_OUT: out,
        ...(flags.snapshot ? { HEAP_PROBE_SNAPSHOT: '1' } : {}),
        ...(flags.promoted ? { HEAP_PROBE_PROMOTED: '1' } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const job: Omit<LoadJob, 'duration'> =
    flags.row === 'addPerson'
      ? {
          url: `${url}/_access/addPerson?type=json`,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: q({
            customer: seeded.customer,
            key: seeded.key,
            conference: seeded.openConference,
            role: 'PARTICIPANT',
            name: 'Bench Person',
            email: 'bench@example.com',
          }),
          connections: 32,
          expect: '"code":0}',
        }
      : {
          url: `${url}/_access/getConference?${q({ type: 'json', customer: seeded.customer, key: seeded.key, conferenceUID: seeded.smallConference })}`,
          method: 'GET',
          connections: 32,
          expect: '"code":0}',
        };
  // Warm-up: the caches, the prepared statements and the JIT's code, then the first probe.
  await load({ ...job, duration: 2 });
  const probes = [{ requests: 0, ...(await probe(child, out, 0)) }];
  let requests = 0;
  for (let phase = 1; phase <= Number(flags.phases); phase++) {
    const result = await load({ ...job, duration: Number(flags.seconds) });
    requests += result.requests;
    if (result.mismatches + result.non2xx + result.errors > 0) throw new Error(JSON.stringify(result));
    probes.push({ requests, ...(await probe(child, out, phase)) });
  }
  process.stdout.write(`${flags.row}, WORKERS=1, live heap after full collections:\n`);
  for (const p of probes)
    process.stdout.write(
      `  after ${String(p.requests).padStart(7)} requests: ${(p.used / 1e6).toFixed(2)} MB (old space ${(p.oldUsed / 1e6).toFixed(2)} MB)\n`,
    );
  const first = probes[1]!;
  const last = probes.at(-1)!;
  process.stdout.write(
    `  growth from the first phase's end: ${((last.used - first.used) / Math.max(last.requests - first.requests, 1)).toFixed(1)} bytes a request\n`,
  );
  if (flags.snapshot) {
    const a = byConstructor(`${out}.${child.pid}.1.heapsnapshot`);
    const b = byConstructor(`${out}.${child.pid}.${flags.phases}.heapsnapshot`);
    const grown = [...b]
      .map(([key, sum]) => {
        const was = a.get(key) ?? { count: 0, bytes: 0 };
        return { key, count: sum.count - was.count, bytes: sum.bytes - was.bytes };
      })
      .filter((d) => d.bytes !== 0 || d.count !== 0)
      .sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes))
      .slice(0, 25);
    process.stdout.write(
      `  snapshot ${flags.phases} against 1 (${last.requests - first.requests} requests), largest changes:\n`,
    );
    for (const d of grown)
      process.stdout.write(
        `    ${d.key.padEnd(66)} ${String(d.count).padStart(8)} objects ${String(d.bytes).padStart(10)} bytes\n`,
      );
  }
  if (flags.promoted) {
    const file = `${out}.${child.pid}.1.heapprofile`;
    while (!existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    printPromoted(
      JSON.parse(readFileSync(file, 'utf8')) as { head: HeapProfileNode; samples: { size: number; nodeId: number }[] },
      first.requests,
    );
  }
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
} finally {
  rmSync(work, { recursive: true, force: true });
}
