/**
 * What node:http itself costs with Baton's headers and server options, one
 * difference at a time: bare servers in this process answering a fixed
 * 650-byte envelope, each driven by autocannon in a child process at 32
 * connections; server CPU per request from `process.cpuUsage()`. Each
 * variant adds one thing to the one before it, so the difference between two
 * lines is what that one thing costs. For finding where the front's time
 * goes, where the full bench is too coarse:
 *
 *   node --import tsx bench/http-variants.ts [seconds] [variant,variant…]
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { driveInProcess } from './drive-in-process.js';

const [secondsText = '4', onlyText] = process.argv.slice(2);
const seconds = Number(secondsText);

const text = JSON.stringify({ message: '', value: { UID: 'x'.repeat(600) }, code: 0 });
const bytes = Buffer.from(text);
const length = String(bytes.length);
let counter = 0;

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** Answers once the request is read, as the bare server does. */
const onEnd =
  (answer: (response: ServerResponse) => void): Listener =>
  (request, response) => {
    request.resume();
    request.on('end', () => answer(response));
  };

/** Answers at once for a request without a body (what Baton's front does for a GET). */
const atOnce =
  (answer: (response: ServerResponse) => void): Listener =>
  (_request, response) =>
    answer(response);

const batonOptions = (server: Server) => {
  server.keepAliveTimeout = 72_000;
  server.requestTimeout = 0;
  server.setTimeout(0);
};

const flat = () => [
  'x-request-id',
  `req-${(++counter).toString(36)}`,
  'content-type',
  'application/json; charset=utf-8',
  'cache-control',
  'no-store',
  'content-length',
  length,
];

const variants: { name: string; listener: Listener; options?: (server: Server) => void }[] = [
  {
    name: 'bare (3 headers as an object, Buffer body, on end)',
    listener: onEnd((response) => {
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': bytes.length,
      });
      response.end(bytes);
    }),
  },
  {
    name: '+ answered at once (no resume/end listener)',
    listener: atOnce((response) => {
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': bytes.length,
      });
      response.end(bytes);
    }),
  },
  {
    name: '+ x-request-id, headers as a flat array',
    listener: atOnce((response) => {
      response.writeHead(200, flat());
      response.end(bytes);
    }),
  },
  {
    name: "+ Baton's server options (keepAliveTimeout 72 s, requestTimeout 0, setTimeout 0)",
    listener: atOnce((response) => {
      response.writeHead(200, flat());
      response.end(bytes);
    }),
    options: batonOptions,
  },
  {
    name: '+ body as a string (headers and body in one write)',
    listener: atOnce((response) => {
      response.writeHead(200, flat());
      response.end(text);
    }),
    options: batonOptions,
  },
  {
    name: '+ body as a latin1 string of the bytes',
    listener: atOnce((response) => {
      response.writeHead(200, flat());
      response.end(bytes.toString('latin1'), 'latin1');
    }),
    options: batonOptions,
  },
  {
    name: 'Buffer body, + reads request.headers (built on first read) as the front does',
    listener: (request, response) => {
      const headers = request.headers;
      if (headers['transfer-encoding'] !== undefined || headers['content-type'] !== undefined) counter++;
      if (headers['x-request-id'] !== undefined || headers['idempotency-key'] !== undefined) counter++;
      response.writeHead(200, flat());
      response.end(bytes);
    },
    options: batonOptions,
  },
  {
    name: 'Buffer body, + two performance.now() calls',
    listener: (_request, response) => {
      const started = performance.now();
      response.writeHead(200, flat());
      response.end(bytes);
      if (performance.now() - started < 0) counter++;
    },
    options: batonOptions,
  },
  {
    name: 'Buffer body, + a promise and a microtask before the answer',
    listener: (_request, response) => {
      void Promise.resolve(bytes).then((body) => {
        response.writeHead(200, flat());
        response.end(body);
      });
    },
    options: batonOptions,
  },
];

/** Server CPU µs per request while autocannon drives `url`. */
async function drive(label: string, url: string): Promise<void> {
  const run = await driveInProcess(url, seconds);
  console.log(
    `${run.perRequest.toFixed(2).padStart(6)} µs/req  ${String(Math.round(run.average)).padStart(6)} req/s  ${label}`,
  );
}

const only = onlyText?.split(',').map(Number);
for (const [index, variant] of variants.entries()) {
  if (only && !only.includes(index)) continue;
  const server = createServer(variant.listener);
  variant.options?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await drive(`${index} ${variant.name}`, `http://127.0.0.1:${port}/_access/getConference?type=json`);
  server.closeAllConnections();
  server.close();
}
