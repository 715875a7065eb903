/**
 * One process's cost of a cached read, without the cluster or the seed: a
 * test server (real SQLite file, the node:http front) in this process, a
 * conference with 10 persons, and autocannon in a child process at 32
 * connections; the server CPU per request is this process's
 * `process.cpuUsage()` over the run. Also the pipeline alone in a loop, and
 * a bare node:http server in this process for the ceiling. For A/B work on
 * the hot path, where a full `npm run bench` is too coarse:
 *
 *   node --import tsx bench/in-process-read.ts [both|http|pipeline|front] [json|xml] [right|wrong] [bare]
 *
 * `front`: over HTTP, but the pipeline's answer replaced by the one it gave
 * first (the front and node:http alone, without the pipeline's work).
 *
 * `wrong` sends a key that is not the customer's (AUTH_FAILURE_LIMIT=0, as
 * the bench's wrong-key row). Figures vary with the machine's load: compare
 * runs made minutes apart.
 */
import { createServer } from 'node:http';
import { accessFrontOf } from '../src/app.js';
import type { AccessPipeline } from '../src/protocol/access-pipeline.js';
import { emptyParams } from '../src/protocol/request-params.js';
import { startTestServer } from '../test/harness.js';
import { driveInProcess } from './drive-in-process.js';

const [mode = 'both', format = 'json', keyKind = 'right', withBare] = process.argv.slice(2);
const wrong = keyKind === 'wrong';

/** Server CPU µs per request while autocannon drives `url` for 4 s. */
async function drive(label: string, url: string): Promise<void> {
  const run = await driveInProcess(url, 4);
  console.log(
    `${label}: ${Math.round(run.average)} req/s, p99 ${run.p99} ms, ` +
      `${run.perRequest.toFixed(2)} µs/req server CPU (non-2xx ${run.non2xx}, errors ${run.errors})`,
  );
}

const server = await startTestServer({ config: { authFailureLimit: wrong ? 0 : 30 } });
const conference = (await server.call('createConferenceReservationless', { name: 'Bench' })).value.UID as string;
for (let i = 0; i < 10; i++) await server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` });
const { customer } = server.credentials;
const key = wrong ? 'x'.repeat(32) : server.credentials.key;
const label = `getConference ${format}${wrong ? ', wrong key' : ''}`;

if (mode !== 'http' && mode !== 'front') {
  const pipeline = (accessFrontOf(server.app) as unknown as { options: { pipeline: AccessPipeline } }).options.pipeline;
  const params = { customer, key, conferenceUID: conference, type: format };
  const one = () =>
    pipeline.answer({
      method: 'GET',
      fnName: 'getConference',
      params: Object.assign(emptyParams(), params),
      idempotencyHeader: undefined,
      peerAddress: '127.0.0.1',
      forwardedFor: undefined,
      requestId: 'bench',
    });
  for (let i = 0; i < 20_000; i++) await one();
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  for (let round = 0; round < 3; round++) {
    const n = 100_000;
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      // A fully cached answer comes at once: awaited only when it did not (as the front does); 16 a turn.
      const answer = one();
      if (answer instanceof Promise) await answer;
      if (i % 16 === 15) await turn();
    }
    const cpu = process.cpuUsage(before);
    console.log(`pipeline alone, ${label}: ${((cpu.user + cpu.system) / n).toFixed(2)} µs/call`);
  }
}
if (mode === 'front') {
  const pipeline = (accessFrontOf(server.app) as unknown as { options: { pipeline: AccessPipeline } }).options.pipeline;
  const first = await pipeline.answer({
    method: 'GET',
    fnName: 'getConference',
    params: Object.assign(Object.create(null) as Record<string, string>, {
      customer,
      key,
      conferenceUID: conference,
      type: format,
    }),
    idempotencyHeader: undefined,
    peerAddress: '127.0.0.1',
    forwardedFor: undefined,
    requestId: 'bench',
  });
  pipeline.answer = () => first;
}
if (mode !== 'pipeline') {
  const query = new URLSearchParams({ customer, key, conferenceUID: conference, type: format });
  for (let round = 0; round < 2; round++) await drive(label, `${server.url}/_access/getConference?${query}`);
}
await server.close();

if (withBare === 'bare') {
  const body = Buffer.from(JSON.stringify({ message: '', value: { UID: 'x'.repeat(600) }, code: 0 }));
  const bare = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'x-request-id': 'bench-1',
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': body.length,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const address = bare.address() as { port: number };
  for (let round = 0; round < 2; round++) await drive('bare node:http', `http://127.0.0.1:${address.port}/`);
  bare.close();
}
