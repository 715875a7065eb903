/**
 * Where one process's time goes on the front's hot rows, stage by stage: a
 * bare node:http server, then Baton's node:http front with the pipeline's
 * answer replaced by a fixed one (HTTP, the URL, the body, the parameters,
 * the request id, the head), then the whole request. For `getConference`
 * (cached), the wrong key, and `addPerson`, whose write is replaced by a
 * fixed answer (its handler swapped for the bench's: everything but the
 * command's execution — authentication, the schema, the envelope) before
 * the real one in this process. Each stage: a test server (real SQLite file) in this process,
 * autocannon in a child process at 32 connections; server CPU per request
 * from `process.cpuUsage()` over the run.
 *
 *   node --import tsx bench/front-split.ts [seconds] [stage,stage…]
 *
 * Stages: bare-get, get-front, get, wrong, bare-post, add-front, add-nowrite,
 * add-tree (the fixed answer encoded and decoded as a stored idempotent answer is), add.
 * Figures vary with the machine's load: compare stages of one run.
 */
import { createServer } from 'node:http';
import { accessFrontOf } from '../src/app.js';
import type { AccessPipeline } from '../src/protocol/access-pipeline.js';
import { addPerson } from '../src/functions/add-person.js';
import { decodeTree, encodeTree } from '../src/protocol/idempotency.js';
import { emptyParams } from '../src/protocol/request-params.js';
import type { Tree, TreeObject } from '../src/protocol/tree.js';
import { startTestServer, type TestServer } from '../test/harness.js';
import { driveInProcess } from './drive-in-process.js';

const [secondsText = '3', onlyText] = process.argv.slice(2);
const only = onlyText?.split(',');
const rounds = 2;

interface Target {
  url: string;
  body?: string;
}

/** Server CPU µs per request while autocannon drives `target`. */
async function drive(label: string, target: Target): Promise<void> {
  const args =
    target.body === undefined
      ? []
      : ['-m', 'POST', '-b', target.body, '-H', 'content-type=application/x-www-form-urlencoded'];
  const run = await driveInProcess(target.url, secondsText, args);
  console.log(
    `${run.perRequest.toFixed(2).padStart(7)} µs/req ${String(Math.round(run.average)).padStart(6)} req/s ` +
      `p99 ${run.p99} ms  ${label}${run.non2xx + run.errors > 0 ? ` (non-2xx ${run.non2xx}, errors ${run.errors})` : ''}`,
  );
}

async function stage(name: string, label: string, run: () => Promise<Target>, after?: () => Promise<void>) {
  if (only && !only.includes(name)) return;
  const target = await run();
  for (let round = 0; round < rounds; round++) await drive(`${name}: ${label}`, target);
  await after?.();
}

function pipelineOf(server: TestServer): AccessPipeline {
  return (accessFrontOf(server.app) as unknown as { options: { pipeline: AccessPipeline } }).options.pipeline;
}

/** A server with a conference of 10 persons; the query of a getConference on it. */
async function readServer(wrong = false) {
  const server = await startTestServer({ config: { authFailureLimit: wrong ? 0 : 30 } });
  const conference = (await server.call('createConferenceReservationless', { name: 'Bench' })).value.UID as string;
  for (let i = 0; i < 10; i++) await server.call('addPerson', { conference, role: 'PARTICIPANT', name: `P${i}` });
  const { customer } = server.credentials;
  const key = wrong ? 'x'.repeat(32) : server.credentials.key;
  const query = new URLSearchParams({ customer, key, conferenceUID: conference, type: 'json' }).toString();
  return { server, url: `${server.url}/_access/getConference?${query}`, query };
}

/** A server with a reservationless conference; the form body of an addPerson to it. */
async function writeServer() {
  const server = await startTestServer();
  const conference = (await server.call('createConferenceReservationless', { name: 'Bench' })).value.UID as string;
  const body = new URLSearchParams({
    ...server.credentials,
    conference,
    role: 'PARTICIPANT',
    name: 'Bench Person',
    email: 'bench@example.com',
  }).toString();
  return { server, url: `${server.url}/_access/addPerson?type=json`, body };
}

/** The pipeline's answer to the first request, given to every request after it. */
async function fixPipeline(server: TestServer, fnName: string, method: string, query: string): Promise<void> {
  const pipeline = pipelineOf(server);
  const params = emptyParams();
  for (const [name, value] of new URLSearchParams(query)) params[name] = value;
  const first = await pipeline.answer({
    method,
    fnName,
    params,
    idempotencyHeader: undefined,
    peerAddress: '127.0.0.1',
    forwardedFor: undefined,
    requestId: 'bench',
  });
  pipeline.answer = () => first;
}

async function bare(post: boolean): Promise<Target> {
  const body = Buffer.from(JSON.stringify({ message: '', value: { UID: 'x'.repeat(300) }, code: 0 }));
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': body.length,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  bareServers.push(server);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/_access/x`, body: post ? 'a=1&b=2&c=3&d=4&e=5&f=6' : undefined };
}
const bareServers: ReturnType<typeof createServer>[] = [];
const closeBare = async () => {
  for (const server of bareServers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
};

let server: TestServer | undefined;
const closeServer = async () => {
  await server?.close();
  server = undefined;
};

await stage('bare-get', 'bare node:http, GET', () => bare(false), closeBare);
await stage(
  'get-front',
  'getConference, the pipeline answer fixed',
  async () => {
    const read = await readServer();
    server = read.server;
    await fixPipeline(server, 'getConference', 'GET', read.query);
    return { url: read.url };
  },
  closeServer,
);
await stage(
  'get',
  'getConference (cached)',
  async () => {
    const read = await readServer();
    server = read.server;
    return { url: read.url };
  },
  closeServer,
);
await stage(
  'wrong',
  'wrong key',
  async () => {
    const read = await readServer(true);
    server = read.server;
    return { url: read.url };
  },
  closeServer,
);
await stage('bare-post', 'bare node:http, POST form body', () => bare(true), closeBare);
await stage(
  'add-front',
  'addPerson, the pipeline answer fixed',
  async () => {
    const write = await writeServer();
    server = write.server;
    await fixPipeline(server, 'addPerson', 'POST', write.body);
    return write;
  },
  closeServer,
);

/** addPerson's own handler, put back after the stages that swap it. */
const realHandle = addPerson.handle.bind(addPerson);
/** addPerson with its command's execution replaced by the answer of its first real run (a handler's tree). */
async function noWrite(tree: boolean): Promise<Target> {
  const write = await writeServer();
  server = write.server;
  let first: Tree | undefined;
  (addPerson as { handle: typeof realHandle }).handle = async (ctx, params) => {
    first ??= (await realHandle(ctx, params)) as Tree;
    // A fresh answer per call, as a handler's is; through the stored answer's encoding when `tree`.
    return tree ? decodeTree(encodeTree(first)) : { ...(first as TreeObject) };
  };
  return write;
}
const closeNoWrite = async () => {
  (addPerson as { handle: typeof realHandle }).handle = realHandle;
  await closeServer();
};
await stage('add-nowrite', 'addPerson, the command answered by a fixed result', () => noWrite(false), closeNoWrite);
await stage('add-tree', 'addPerson, the fixed result through encodeTree/decodeTree', () => noWrite(true), closeNoWrite);
await stage(
  'add',
  'addPerson (one process, the real write)',
  async () => {
    const write = await writeServer();
    server = write.server;
    return write;
  },
  closeServer,
);
