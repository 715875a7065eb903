/**
 * The mixed row in one process (as WORKERS=1 serves it), for A/B work on the
 * cache: a test server (real SQLite file, the node:http front) in this
 * process with 100 reservationless conferences of 10 persons, and the load
 * generator (`bench/load.ts`) in a child process cycling through the same
 * sequence as `npm run bench`'s mixed row: 90% getConference over the
 * conferences, 10% addPerson, the addPersons on 10 of them (as the row's
 * `(i * 13) % 100` does). Prints this process's CPU per request
 * (process.cpuUsage), and the read cache's hits, misses and lists extended
 * per request, for each of `rounds` runs of `seconds`; the written
 * conferences grow run after run, as over a full bench run.
 *
 *   node --import tsx bench/mixed-in-process.ts [seconds=3] [rounds=3]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteExecutorOf } from '../src/store/database.js';
import { createConference, startTestServer } from '../test/harness.js';
import type { LoadJob, LoadResult } from './load.js';

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 3);

const server = await startTestServer({ now: Date.now() });
const executor = sqliteExecutorOf(server.services.store.db)!;
const conferences: string[] = [];
for (let i = 0; i < 100; i++) {
  const conference = await createConference(server, { name: `Mixed ${i}` });
  await Promise.all(
    Array.from({ length: 10 }, (_, p) => server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${p}` })),
  );
  conferences.push(conference);
}
const { customer, key } = server.credentials;
const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
/**
 * MIX=reads: the same reads, the addPersons replaced by getConference of their conference (no writes).
 * MIX=spread: the addPersons spread over all 100 conferences (`(i * 13 + i / 10) % 100`), so each grows a tenth as fast.
 */
const readsOnly = process.env.MIX === 'reads';
const spread = process.env.MIX === 'spread';
const requests: NonNullable<LoadJob['requests']> = Array.from({ length: 200 }, (_, i) =>
  i % 10 === 9 && !readsOnly
    ? {
        method: 'POST' as const,
        path: '/_access/addPerson?type=json',
        body: query({
          customer,
          key,
          conference: conferences[(spread ? i * 13 + Math.floor(i / 10) : i * 13) % 100]!,
          role: 'PARTICIPANT',
          name: 'Bench Person',
          type: 'json',
        }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }
    : {
        method: 'GET' as const,
        path: `/_access/getConference?${query({ type: 'json', customer, key, conferenceUID: conferences[(i % 10 === 9 ? i * 13 : i * 7) % 100]! })}`,
      },
);

function load(duration: number): Promise<LoadResult> {
  const job: LoadJob = {
    url: `${server.url}${requests[0]!.path}`,
    method: 'GET',
    connections: 32,
    duration,
    expect: '"code":0}',
    requests,
  };
  const file = join(tmpdir(), `baton-mixed-in-process-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(job));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'load.ts'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`${code}`)))),
  );
}

await load(1);
for (let round = 0; round < rounds; round++) {
  const stats = { ...executor.cacheStats };
  const before = process.cpuUsage();
  const result = await load(seconds);
  const used = process.cpuUsage(before);
  const n = result.requests;
  const persons = server.services.store.db
    .selectFrom('persons')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('conference_uid', '=', conferences[17]!);
  const written = Number((await persons.executeTakeFirstOrThrow()).n);
  const per = (field: 'hits' | 'misses' | 'extended') =>
    ((executor.cacheStats[field] - (stats[field] ?? 0)) / n).toFixed(2);
  console.log(
    `mixed, one process: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99} ms, ` +
      `${((used.user + used.system) / n).toFixed(1)} µs CPU/req; per request ${per('hits')} hits, ` +
      `${per('misses')} misses, ${per('extended')} lists extended; a written conference now has ${written} persons ` +
      `(errors ${result.errors}, mismatches ${result.mismatches}, non-2xx ${result.non2xx})`,
  );
}
await server.close();
