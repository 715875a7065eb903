/**
 * What the mixed row's reads cost besides a cached hit, in one process
 * without HTTP: the getConference pipeline (authentication from the cache,
 * the call, the envelope) on a conference whose cached answer is held (a
 * hit), and on one whose answers were just dropped, as a change of its scope
 * drops them (a miss: the conference's reads, its presentation, the cache's
 * bookkeeping and the rendering), by the conference's number of persons —
 * once as after an addPerson (the kept person-UID list and what was
 * appended to it) and once as after any other change (the list in full) —
 * the mixed row's addPerson calls go to ten of its conferences, which grow
 * by about a thousand persons each over a full run. Also what applying the
 * change log costs a process that did not write: another connection logs N
 * changes of scopes this process holds nothing for, then one hit pays for
 * reading and applying them.
 *
 *   node --import tsx bench/cache-miss.ts [persons=10,100,1000,2000] [calls=2000]
 *
 * Prints µs of this process's CPU (process.cpuUsage) per call.
 */
import SqliteDatabase from 'better-sqlite3';
import { accessFrontOf } from '../src/app.js';
import type { AccessPipeline } from '../src/protocol/access-pipeline.js';
import { emptyParams } from '../src/protocol/request-params.js';
import type { AnswerCache } from '../src/store/answer-cache.js';
import { sqliteExecutorOf } from '../src/store/database.js';
import { createConference, startTestServer } from '../test/harness.js';

const sizes = (process.argv[2] ?? '10,100,1000,2000').split(',').map(Number);
const calls = Number(process.argv[3] ?? 2000);

const server = await startTestServer({ now: Date.now() });
const pipeline = (accessFrontOf(server.app) as unknown as { options: { pipeline: AccessPipeline } }).options.pipeline;
const executor = sqliteExecutorOf(server.services.store.db)!;
const cache = (executor as unknown as { cache: AnswerCache }).cache;
/** What a change other than an appended person does to the executor's kept person-UID list (migration 015). */
const forgetAppendOnly = (scope: string) =>
  (executor as unknown as { forgetAppendOnly(scope: string): void }).forgetAppendOnly(scope);
const { customer, key } = server.credentials;
const turn = () => new Promise((resolve) => setImmediate(resolve));

const getConference = (conferenceUID: string, format = 'json') =>
  pipeline.answer({
    method: 'GET',
    fnName: 'getConference',
    params: Object.assign(emptyParams(), { customer, key, conferenceUID, type: format }),
    idempotencyHeader: undefined,
    peerAddress: '127.0.0.1',
    forwardedFor: undefined,
    requestId: 'bench',
  });

/** µs of CPU per call of `one`, awaited only when it answered with a promise; a turn every 16 calls. */
async function perCall(n: number, one: (i: number) => unknown): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const answer = one(i);
    if (answer instanceof Promise) await answer;
    if (i % 16 === 15) await turn();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

async function withPersons(count: number): Promise<string> {
  const conference = await createConference(server);
  for (let done = 0; done < count; done += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - done) }, (_, i) =>
        server.call('addPerson', { conference, role: 'PARTICIPANT', name: `Person ${done + i}` }),
      ),
    );
  }
  return conference;
}

for (const persons of sizes) {
  const conference = await withPersons(persons);
  const bytes = (await getConference(conference)).body.length;
  for (let round = 0; round < 2; round++) {
    const hit = await perCall(calls * 10, () => getConference(conference));
    const miss = await perCall(calls, () => {
      cache.dropScope(conference);
      return getConference(conference);
    });
    // As after any change but a person added: the list is read in full.
    const fullMiss = await perCall(calls, () => {
      cache.dropScope(conference);
      forgetAppendOnly(conference);
      return getConference(conference);
    });
    const dropOnly = await perCall(calls, () => cache.dropScope(conference));
    console.log(
      `getConference, ${persons} persons (${bytes} bytes of JSON): hit ${hit.toFixed(1)} µs, ` +
        `miss ${miss.toFixed(1)} µs as after an addPerson, ${fullMiss.toFixed(1)} µs as after any other change ` +
        `(read + present + render; the drop itself ${dropOnly.toFixed(1)})`,
    );
  }
}

// The change log as another process writes it: N rows a turn, of scopes nobody here holds.
const other = new SqliteDatabase(server.database.url);
const log = other.prepare(`insert into change_log (scope) values (?)`);
const logRows = other.transaction((n: number) => {
  for (let i = 0; i < n; i++) log.run(`elsewhere-${i}`);
});
const conference = await withPersons(10);
for (const n of [0, 1, 4, 16, 64]) {
  let writeUs = 0;
  const turns = 2000;
  const before = process.cpuUsage();
  for (let i = 0; i < turns; i++) {
    const w = process.cpuUsage();
    if (n > 0) logRows(n);
    const used = process.cpuUsage(w);
    writeUs += used.user + used.system;
    const answer = getConference(conference);
    if (answer instanceof Promise) await answer;
    await turn();
  }
  const used = process.cpuUsage(before);
  console.log(
    `a hit after another process logged ${n} changes: ${((used.user + used.system - writeUs) / turns).toFixed(1)} µs ` +
      `(the other connection's writes, ${(writeUs / turns).toFixed(1)} µs, left out)`,
  );
}
other.close();
await server.close();
